"""The report's own algorithm in numpy, the baseline this project exists to
beat: seed-cnn (conv 1->4 5x5 pad 2, ReLU, avg-pool 2, conv 4->8 5x5 pad 2,
ReLU, avg-pool 2, fc 392->10, softmax cross-entropy), im2col by fancy
indexing, col2im by np.add.at, pooling by reshape and mean, SGD with lr 0.1,
momentum 1e-4, weight decay 2e-4, batch 50. Trains one epoch and prints one
JSON line: seconds per epoch (scaled from the steps timed when --steps cuts
the epoch short) and test accuracy."""
import argparse
import json
import time

import numpy as np

import mnist


def im2col_index(c, h, w, k, pad):
    """Index arrays picking every k x k patch of a padded c x h x w input: rows
    (channel, ky, kx), columns (oy, ox); stride 1, output h x w."""
    ky, kx = np.repeat(np.arange(k), k), np.tile(np.arange(k), k)
    oy, ox = np.repeat(np.arange(h), w), np.tile(np.arange(w), h)
    rows_c = np.repeat(np.arange(c), k * k)[:, None]
    rows_y = np.tile(ky, c)[:, None] + oy[None, :]
    rows_x = np.tile(kx, c)[:, None] + ox[None, :]
    return rows_c, rows_y, rows_x


class Conv:
    def __init__(self, rng, cin, cout, k, pad, h, w):
        bound = np.sqrt(6.0 / (cin * k * k))
        self.w = rng.uniform(-bound, bound, (cout, cin * k * k)).astype(np.float32)
        self.b = np.zeros(cout, np.float32)
        self.pad, self.h, self.w_side = pad, h, w
        self.idx = im2col_index(cin, h, w, k, pad)

    def forward(self, x):
        p = self.pad
        self.xshape = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        c, y, xx = self.idx
        self.cols = xp[:, c, y, xx]                       # n x (cin k k) x (h w)
        out = np.matmul(self.w, self.cols) + self.b[:, None]
        return out.reshape(x.shape[0], -1, self.h, self.w_side)

    def backward(self, dy):
        n = dy.shape[0]
        dy = dy.reshape(n, dy.shape[1], -1)
        self.dw = np.einsum("noh,nkh->ok", dy, self.cols)
        self.db = dy.sum(axis=(0, 2))
        dcols = np.matmul(self.w.T, dy)
        p = self.pad
        dxp = np.zeros((n, self.xshape[1], self.xshape[2] + 2 * p, self.xshape[3] + 2 * p),
                       np.float32)
        c, y, xx = self.idx
        np.add.at(dxp, (slice(None), c, y, xx), dcols)
        return dxp[:, :, p:p + self.xshape[2], p:p + self.xshape[3]]

    def params(self):
        return [(self.w, self.dw), (self.b, self.db)]


def pool_forward(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def pool_backward(dy):
    return np.repeat(np.repeat(dy, 2, axis=2), 2, axis=3) / 4.0


class Net:
    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.c1 = Conv(rng, 1, 4, 5, 2, 28, 28)
        self.c2 = Conv(rng, 4, 8, 5, 2, 14, 14)
        bound = np.sqrt(6.0 / 392)
        self.fw = rng.uniform(-bound, bound, (10, 392)).astype(np.float32)
        self.fb = np.zeros(10, np.float32)
        self.velocity = None

    def scores(self, x):
        self.r1 = np.maximum(self.c1.forward(x), 0)
        self.p1 = pool_forward(self.r1)
        self.r2 = np.maximum(self.c2.forward(self.p1), 0)
        self.p2 = pool_forward(self.r2)
        self.flat = self.p2.reshape(x.shape[0], -1)
        return self.flat @ self.fw.T + self.fb

    def step(self, x, y, lr, momentum, decay):
        s = self.scores(x)
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        prob = e / e.sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = -np.log(prob[np.arange(n), y]).mean()
        ds = prob
        ds[np.arange(n), y] -= 1
        ds /= n
        self.dfw, self.dfb = ds.T @ self.flat, ds.sum(axis=0)
        dp2 = (ds @ self.fw).reshape(self.p2.shape)
        dr2 = pool_backward(dp2) * (self.r2 > 0)
        dp1 = self.c2.backward(dr2)
        dr1 = pool_backward(dp1) * (self.r1 > 0)
        self.c1.backward(dr1)
        params = [(self.fw, self.dfw), (self.fb, self.dfb)] + self.c1.params() + self.c2.params()
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p, _ in params]
        for v, (p, g) in zip(self.velocity, params):
            v *= momentum
            v -= lr * (g + decay * p)
            p += v
        return loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--steps", type=int, default=0, help="time this many steps (0: the epoch)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    train_x, train_y, test_x, test_y = mnist.load(a.data)
    net = Net(a.seed)
    order = np.random.default_rng(a.seed).permutation(len(train_x))
    steps_in_epoch = len(train_x) // a.batch
    steps = a.steps or steps_in_epoch
    start = time.perf_counter()
    for s in range(steps):
        i = order[s * a.batch:(s + 1) * a.batch]
        net.step(train_x[i], train_y[i], 0.1, 1e-4, 2e-4)
    seconds = (time.perf_counter() - start) * steps_in_epoch / steps
    correct = sum(int((net.scores(test_x[j:j + 500]).argmax(axis=1) == test_y[j:j + 500]).sum())
                  for j in range(0, len(test_x), 500))
    print(json.dumps({"peer": "numpy (the report's algorithm)", "device": "cpu",
                      "batch": a.batch, "steps_timed": steps, "seconds_per_epoch": seconds,
                      "test_acc": 100.0 * correct / len(test_x),
                      "epoch_complete": steps == steps_in_epoch}))


if __name__ == "__main__":
    main()
