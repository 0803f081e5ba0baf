"""MNIST for the peer benchmarks: the same four IDX files the trainer reads,
scaled like the trainer's --normalize: std (mean 0, deviation 1 over the
training images; the default), unit (byte / 255) or center ((byte - 128) / 255).
A thin front of peer_data, which reads every format the trainer takes."""
import peer_data


def load(folder, normalize="std"):
    """(train_x, train_y, test_x, test_y): x float32 N x 1 x H x W, y int64."""
    try:
        return peer_data.load(folder, normalize, fmt="idx")[1:]
    except peer_data.DataError as e:
        raise SystemExit(str(e)) from None
