/* The layer-spec language: the presets' shapes and parameter counts, canonical
 * text, and every kind of bad spec, each of which must fail with a message that
 * quotes the bad token and says what is wrong. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "hd/optim.h"
#include "hd/schedule.h"
#include "layer.h"
#include "netspec.h"
#include "presets.h"

static const shape3 MNIST = {1, 28, 28};

static net_spec spec;
static char err[NET_SPEC_ERR_MAX];

static void parse_ok(const char *text, shape3 in, int classes)
{
    err[0] = 0;
    int r = net_spec_parse(text, in, classes, &spec, err, sizeof err);
    cr_assert_eq(r, 0, "\"%s\" should parse, got: %s", text, err);
}

/* Asserts that text fails, that err is non-empty, one line, and contains every
 * one of the (NULL-terminated) fragments. */
static void parse_fails(const char *text, shape3 in, int classes, const char *const *want)
{
    memset(err, 0, sizeof err);
    int r = net_spec_parse(text, in, classes, &spec, err, sizeof err);
    cr_assert_eq(r, -1, "\"%s\" should fail (returned %d)", text, r);
    cr_assert_neq(err[0], 0, "\"%s\": no message", text);
    cr_assert_null(strchr(err, '\n'), "\"%s\": message has a newline: %s", text, err);
    for (const char *const *w = want; *w; w++)
        cr_assert_not_null(strstr(err, *w), "\"%s\": message should contain '%s', got: %s",
                           text, *w, err);
}

#define FAILS(text, ...) parse_fails((text), MNIST, 10, (const char *const[]){__VA_ARGS__, NULL})

static void expect_layer(int i, layer_kind kind, int c, int h, int w, long weights, long bias,
                         long offset)
{
    const layer_spec *l = &spec.layer[i];
    cr_assert_eq(l->kind, kind, "layer %d: kind %s, want %s", i, layer_kind_name(l->kind),
                 layer_kind_name(kind));
    cr_assert(l->out_shape.c == c && l->out_shape.h == h && l->out_shape.w == w,
              "layer %d (%s): out %dx%dx%d, want %dx%dx%d", i, layer_kind_name(kind),
              l->out_shape.c, l->out_shape.h, l->out_shape.w, c, h, w);
    cr_assert_eq(l->weights, weights, "layer %d: weights %ld, want %ld", i, l->weights, weights);
    cr_assert_eq(l->bias, bias, "layer %d: bias %ld, want %ld", i, l->bias, bias);
    cr_assert_eq(l->param_offset, offset, "layer %d: param_offset %ld, want %ld", i,
                 l->param_offset, offset);
}

/* Every layer's input is the previous one's output, and the offsets are
 * contiguous: each layer's weights then its bias, in order. */
static void expect_chain(void)
{
    shape3 cur = spec.in;
    long offset = 0;
    for (int i = 0; i < spec.n_layers; i++) {
        const layer_spec *l = &spec.layer[i];
        cr_assert(l->in.c == cur.c && l->in.h == cur.h && l->in.w == cur.w,
                  "layer %d: input %dx%dx%d, previous output %dx%dx%d", i, l->in.c, l->in.h,
                  l->in.w, cur.c, cur.h, cur.w);
        cr_assert_eq(l->param_offset, offset, "layer %d: offset %ld, want %ld", i,
                     l->param_offset, offset);
        offset += l->weights + l->bias;
        cur = l->out_shape;
    }
    cr_assert_eq(spec.n_params, offset, "n_params %ld, sum of layers %ld", spec.n_params,
                 offset);
}

/* The presets are the report's settings (its sections 3.1 and 4): the
 * hyperparameters, the parameter counts, and seed-cnn4, the 4/4-channel
 * variant its section 5 draws. */
Test(netspec, presets_are_the_reports)
{
    struct {
        const char *name;
        float lr, momentum, weight_decay;
        int lr_step, batch, epochs;
        long params;
        /* the readings kept of what the report leaves open (README "Networks") */
        const char *normalize;
        float init_std;
    } want[] = {
        {"seed-cnn", 0.1f, 1e-4f, 2e-4f, 5, 50, 30, 4842, "std", 0},
        {"mlp1", 0.1f, 1e-4f, 1e-4f, 0, 100, 100, 311650, "std", 0.01f},
        {"mlp2", 0.1f, 1e-4f, 2e-4f, 0, 100, 100, 386718, "std", 0.01f},
        {"seed-cnn4", 0.1f, 1e-4f, 2e-4f, 5, 50, 30, 2478, "std", 0},
        /* past the report (issue 14) */
        {"lenet5", 0.02f, 0.9f, 5e-4f, 5, 50, 30, 61706, "std", 0},
        {"cnn-bn", 0.02f, 0.9f, 5e-4f, 10, 50, 30, 33770, "std", 0},
        /* the report's layers with issue 15's recipes (cosine schedules) */
        {"seed-cnn-99", 0.05f, 0.9f, 5e-4f, 0, 50, 30, 4842, "std", 0},
        {"seed-cnn-fast", 0.05f, 0.9f, 5e-4f, 0, 50, 2, 4842, "std", 0},
        /* for 3x32x32 colour pictures (issue 26): 114,186 parameters there */
        {"cifar-bn", 0.02f, 0.9f, 5e-4f, 0, 50, 20, 113610, "std", 0},
    };
    int n = sizeof want / sizeof want[0];
    cr_assert_eq(net_presets_count, n);
    for (int i = 0; i < n; i++) {
        const net_preset *p = net_preset_find(want[i].name);
        cr_assert_not_null(p, "preset %s missing", want[i].name);
        cr_assert_str_eq(p->name, want[i].name);
        run_config c;
        preset_config(&c, p);
        cr_expect(c.lr == want[i].lr && c.momentum == want[i].momentum &&
                  c.weight_decay == want[i].weight_decay && c.lr_step == want[i].lr_step &&
                  c.batch == want[i].batch && c.epochs == want[i].epochs,
                  "preset %s is not the report's", want[i].name);
        cr_expect(!strcmp(SETTING(normalize)->choices[c.normalize], want[i].normalize) &&
                      c.init_std == want[i].init_std,
                  "preset %s: inputs %s, init %g", want[i].name,
                  SETTING(normalize)->choices[c.normalize], c.init_std);
        parse_ok(p->spec, MNIST, 10);
        cr_expect_eq(spec.n_params, want[i].params, "preset %s", want[i].name);
        int recipe = (!strncmp(p->name, "seed-cnn-", 9) && strcmp(p->name, "seed-cnn4")) ||
                     !strcmp(p->name, "cifar-bn");
        cr_expect(c.lr_schedule == (recipe ? CNN_SCHED_COSINE : CNN_SCHED_STEP) &&
                  c.optimizer == CNN_OPTIM_SGD &&
                      c.warmup == (strcmp(p->name, "cifar-bn") ? 0.0f : 1.0f),
                  "preset %s's schedule",
                  p->name);
    }
    /* the recipes keep the report's layers exactly */
    cr_assert_str_eq(net_preset_find("seed-cnn-99")->spec, net_preset_find("seed-cnn")->spec);
    cr_assert_str_eq(net_preset_find("seed-cnn-fast")->spec, net_preset_find("seed-cnn")->spec);
    cr_assert_null(net_preset_find("seed"));
    cr_assert_null(net_preset_find(""));
    cr_assert_null(net_preset_find("SEED-CNN"));
    cr_assert_str_eq(layer_kind_name(LAYER_AVGPOOL), "avgpool");
    cr_assert_str_eq(layer_kind_name(LAYER_EUCLID), "euclid");
}

Test(netspec, seed_cnn_shapes_and_params)
{
    parse_ok(net_preset_find("seed-cnn")->spec, MNIST, 10);
    cr_assert_eq(spec.n_layers, 8);
    cr_assert_eq(spec.classes, 10);
    cr_assert(spec.in.c == 1 && spec.in.h == 28 && spec.in.w == 28);
    expect_layer(0, LAYER_CONV, 4, 28, 28, 100, 4, 0);
    expect_layer(1, LAYER_RELU, 4, 28, 28, 0, 0, 104);
    expect_layer(2, LAYER_AVGPOOL, 4, 14, 14, 0, 0, 104);
    expect_layer(3, LAYER_CONV, 8, 14, 14, 800, 8, 104);
    expect_layer(4, LAYER_RELU, 8, 14, 14, 0, 0, 912);
    expect_layer(5, LAYER_AVGPOOL, 8, 7, 7, 0, 0, 912);
    expect_layer(6, LAYER_FC, 10, 1, 1, 3920, 10, 912);
    expect_layer(7, LAYER_SOFTMAX, 10, 1, 1, 0, 0, 4842);
    cr_assert_eq(spec.layer[0].k, 5);
    cr_assert_eq(spec.layer[0].pad, 2);
    cr_assert_eq(spec.layer[0].stride, 1);
    cr_assert_eq(spec.layer[2].k, 2);
    cr_assert_eq(spec.layer[2].stride, 2);
    cr_assert_eq(spec.layer[2].pad, 0);
    cr_assert_eq(spec.n_params, 4842);
    expect_chain();
}

Test(netspec, mlp1_shapes_and_params)
{
    parse_ok(net_preset_find("mlp1")->spec, MNIST, 10);
    cr_assert_eq(spec.n_layers, 4);
    expect_layer(0, LAYER_FC, 392, 1, 1, 392L * 784, 392, 0);
    expect_layer(1, LAYER_RELU, 392, 1, 1, 0, 0, 307720);
    expect_layer(2, LAYER_FC, 10, 1, 1, 3920, 10, 307720);
    expect_layer(3, LAYER_SOFTMAX, 10, 1, 1, 0, 0, 311650);
    cr_assert_eq(spec.n_params, 311650);
    expect_chain();
}

Test(netspec, mlp2_shapes_and_params)
{
    parse_ok(net_preset_find("mlp2")->spec, MNIST, 10);
    cr_assert_eq(spec.n_layers, 6);
    expect_layer(0, LAYER_FC, 392, 1, 1, 307328, 392, 0);
    expect_layer(1, LAYER_RELU, 392, 1, 1, 0, 0, 307720);
    expect_layer(2, LAYER_FC, 196, 1, 1, 76832, 196, 307720);
    expect_layer(3, LAYER_RELU, 196, 1, 1, 0, 0, 384748);
    expect_layer(4, LAYER_FC, 10, 1, 1, 1960, 10, 384748);
    expect_layer(5, LAYER_EUCLID, 10, 1, 1, 0, 0, 386718);
    cr_assert_eq(spec.n_params, 386718);
    expect_chain();
}

Test(netspec, non_square_input_stride_and_padding)
{
    shape3 in = {2, 9, 13};
    parse_ok("conv3k3p1s2,relu,avgpool3p1s2,fc5,softmax", in, 5);
    cr_assert_eq(spec.n_layers, 5);
    /* conv: (9+2-3)/2+1 = 5, (13+2-3)/2+1 = 7; 3*2*3*3 weights */
    expect_layer(0, LAYER_CONV, 3, 5, 7, 54, 3, 0);
    expect_layer(1, LAYER_RELU, 3, 5, 7, 0, 0, 57);
    /* pool: (5+2-3)/2+1 = 3, (7+2-3)/2+1 = 4 */
    expect_layer(2, LAYER_AVGPOOL, 3, 3, 4, 0, 0, 57);
    expect_layer(3, LAYER_FC, 5, 1, 1, 5 * 36, 5, 57);
    expect_layer(4, LAYER_SOFTMAX, 5, 1, 1, 0, 0, 242);
    cr_assert_eq(spec.n_params, 242);
    cr_assert_str_eq(spec.text, "conv3k3p1s2,relu,avgpool3p1s2,fc5,softmax");
    expect_chain();

    /* no padding, a stride that does not divide: conv rounds down */
    parse_ok("conv4k4s2,fc5,euclid", in, 5);
    expect_layer(0, LAYER_CONV, 4, 3, 5, 4 * 2 * 16, 4, 0);
    expect_layer(1, LAYER_FC, 5, 1, 1, 5 * 60, 5, 132);
    cr_assert_eq(spec.n_params, 132 + 305);
    expect_chain();
}

Test(netspec, canonical_round_trip)
{
    const char *texts[] = {
        "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax",
        "fc392,relu,fc10,softmax",
        "fc392,relu,fc196,relu,fc10,euclid",
        "conv6k3p1s2,relu,avgpool2p1s1,fc10,euclid",
        "avgpool4s2,conv2k3,fc10,softmax",
        "conv6k5p2,tanh,avgpool2,conv16k5,tanh,avgpool2,fc120,tanh,fc84,tanh,fc10,softmax",
        "conv8k3p1,bn,lrelu,maxpool3p1s2,conv8k3,sigmoid,gap,dropout0.5,fc10,softmax",
        "maxpool2p1s3,lrelu0.2,fc10,euclid",
        "fc20,bn,dropout0.25,fc10,softmax",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        parse_ok(texts[i], MNIST, 10);
        cr_assert_str_eq(spec.text, texts[i], "canonical form of \"%s\" is \"%s\"", texts[i],
                         spec.text);
        char copy[NET_SPEC_MAX];
        snprintf(copy, sizeof copy, "%s", spec.text);
        parse_ok(copy, MNIST, 10);
        cr_assert_str_eq(spec.text, copy);
    }
}

Test(netspec, canonicalises_defaults)
{
    static const struct { const char *in, *out; } cases[] = {
        {"conv4k5p2s1,fc10,softmax", "conv4k5p2,fc10,softmax"},
        {"avgpool2s2,fc10,softmax", "avgpool2,fc10,softmax"},
        {"conv4k5p0s1,avgpool2p0s2,fc10,softmax", "conv4k5,avgpool2,fc10,softmax"},
        {"conv4k5s1,fc10,softmax", "conv4k5,fc10,softmax"},
        {"fc010,softmax", "fc10,softmax"},
        {"maxpool3s3,fc10,softmax", "maxpool3,fc10,softmax"},
        {"lrelu0.01,fc10,softmax", "lrelu,fc10,softmax"},
        {"lrelu.50,fc10,softmax", "lrelu0.5,fc10,softmax"},
        {"dropout.5,fc10,softmax", "dropout0.5,fc10,softmax"},
        /* shortest decimals that read back as the same float */
        {"dropout.00001,fc10,softmax", "dropout0.00001,fc10,softmax"},
        {"dropout.9999999,fc10,softmax", "dropout0.9999999,fc10,softmax"},
        {"lrelu.1234567,fc10,softmax", "lrelu0.1234567,fc10,softmax"},
        {"dropout.000000001,fc10,softmax", "dropout0.000000001,fc10,softmax"},
        {"dropout0,fc10,softmax", "dropout0.0,fc10,softmax"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_ok(cases[i].in, MNIST, 10);
        cr_assert_str_eq(spec.text, cases[i].out, "\"%s\" -> \"%s\", want \"%s\"", cases[i].in,
                         spec.text, cases[i].out);
        float value = spec.layer[0].value;
        parse_ok(cases[i].out, MNIST, 10); /* and the canonical text is the same net */
        cr_assert(spec.layer[0].value == value && !strcmp(spec.text, cases[i].out),
                  "\"%s\" does not read back as itself", cases[i].out);
    }
}

Test(netspec, spaces_around_commas)
{
    parse_ok("conv4k5p2 , relu,  avgpool2 ,fc10,   softmax", MNIST, 10);
    cr_assert_str_eq(spec.text, "conv4k5p2,relu,avgpool2,fc10,softmax");
    cr_assert_eq(spec.n_layers, 5);
    parse_ok("  fc392 ,relu , fc10 , softmax  ", MNIST, 10);
    cr_assert_str_eq(spec.text, "fc392,relu,fc10,softmax");
    cr_assert_eq(spec.n_params, 311650);
}

/* What each new layer does to the shape and the counts (bn: a scale and a
 * shift per channel or feature, and two running statistics each). */
Test(netspec, new_layers_shapes_and_counts)
{
    parse_ok("conv8k3p1,bn,relu,maxpool3p1s2,gap,fc12,bn,dropout0.5,fc10,softmax", MNIST, 10);
    expect_layer(1, LAYER_BN, 8, 28, 28, 8, 8, 80);
    cr_assert_eq(spec.layer[1].state, 16);
    expect_layer(3, LAYER_MAXPOOL, 8, 15, 15, 0, 0, 96); /* (28 + 2 - 3) / 2 up, + 1 */
    expect_layer(4, LAYER_GAP, 8, 1, 1, 0, 0, 96);
    expect_layer(5, LAYER_FC, 12, 1, 1, 96, 12, 96);
    expect_layer(6, LAYER_BN, 12, 1, 1, 12, 12, 204);
    cr_assert_eq(spec.layer[6].state, 24);
    cr_assert_eq(spec.layer[6].state_offset, 16);
    expect_layer(7, LAYER_DROPOUT, 12, 1, 1, 0, 0, 228);
    cr_assert_float_eq(spec.layer[7].value, 0.5f, 0);
    cr_assert_eq(spec.n_params, 228 + 130);
    cr_assert_eq(spec.n_state, 40);
    parse_ok("lrelu0.2,tanh,sigmoid,fc10,softmax", MNIST, 10);
    cr_assert_float_eq(spec.layer[0].value, 0.2f, 0);
    parse_ok("lrelu,fc10,softmax", MNIST, 10);
    cr_assert_float_eq(spec.layer[0].value, 0.01f, 0);
    cr_assert_float_eq(spec.bn_eps, 1e-5f, 0);
    cr_assert_float_eq(spec.bn_momentum, 0.1f, 0);
}

Test(netspec, new_layers_refusals)
{
    FAILS("dropout,fc10,softmax", "\"dropout\"", "drop probability", "0.5");
    FAILS("dropout1,fc10,softmax", "\"dropout1\"", "outside [0, 1)");
    FAILS("dropout1.5,fc10,softmax", "\"dropout1.5\"", "outside");
    FAILS("dropout-0.1,fc10,softmax", "\"dropout-0.1\"", "decimal");
    FAILS("dropout0.5.5,fc10,softmax", "\"dropout0.5.5\"", "decimal");
    FAILS("dropout1e-1,fc10,softmax", "\"dropout1e-1\"", "decimal");
    FAILS("dropoutnan,fc10,softmax", "\"dropoutnan\"", "decimal");
    FAILS("dropout.,fc10,softmax", "\"dropout.\"", "decimal");
    FAILS("dropout0.1234567891,fc10,softmax", "decimal"); /* 10 places */
    FAILS("dropout00000000000.5,fc10,softmax", "decimal"); /* 13 characters */
    FAILS("dropout0.99999999,fc10,softmax", "outside [0, 1)"); /* 1.0 as a float */
    FAILS("lrelu1,fc10,softmax", "\"lrelu1\"", "slope", "outside");
    FAILS("lrelux,fc10,softmax", "\"lrelux\"", "decimal");
    FAILS("tanh2,fc10,softmax", "\"tanh2\"", "unexpected \"2\" after tanh");
    FAILS("sigmoidx,fc10,softmax", "unexpected \"x\" after sigmoid");
    FAILS("bn1,fc10,softmax", "\"bn1\"", "unexpected \"1\" after bn");
    FAILS("gap2,fc10,softmax", "\"gap2\"", "unexpected \"2\" after gap");
    FAILS("maxpool,fc10,softmax", "\"maxpool\"", "expected a number for the pooling size");
    FAILS("maxpool0,fc10,softmax", "at least 1");
    FAILS("maxpool2s0,fc10,softmax", "stride must be at least 1");
    FAILS("maxpool3p3,fc10,softmax", "padding 3 must be smaller than the window 3");
    FAILS("maxpool2k2,fc10,softmax", "unexpected \"k2\"");
    FAILS("fc10,maxpool2,fc10,softmax", "\"maxpool2\"", "maxpool after fc");
    FAILS("fc10,gap,fc10,softmax", "\"gap\"", "gap after fc");
    FAILS("fc10,bn,softmax", "the loss must follow an fc layer");
    FAILS("fc10,dropout0.5,softmax", "the loss must follow an fc layer");
}

Test(netspec, unknown_layer)
{
    FAILS("conv4k5p2,rleu,fc10,softmax", "\"rleu\"", "unknown layer");
    FAILS("fc10,Softmax", "\"Softmax\"", "unknown layer");
    FAILS("relux,fc10,softmax", "\"relux\"", "unexpected \"x\" after relu");
    FAILS("minpool2,fc10,softmax", "\"minpool2\"", "unknown layer", "maxpool<K>[p<P>][s<S>]");
}

Test(netspec, missing_number)
{
    FAILS("conv,fc10,softmax", "\"conv\"", "expected a number");
    FAILS("fc,softmax", "\"fc\"", "expected a number");
    FAILS("avgpool,fc10,softmax", "\"avgpool\"", "expected a number");
    FAILS("conv4k,fc10,softmax", "\"conv4k\"", "expected a number", "kernel");
    FAILS("conv4k5p,fc10,softmax", "\"conv4k5p\"", "expected a number", "padding");
    FAILS("conv4k5s,fc10,softmax", "\"conv4k5s\"", "expected a number", "stride");
    FAILS("conv4,fc10,softmax", "\"conv4\"", "expected k");
}

Test(netspec, zero)
{
    FAILS("fc0,softmax", "\"fc0\"", "at least 1");
    FAILS("conv0k5,fc10,softmax", "\"conv0k5\"", "at least 1");
    FAILS("conv4k0,fc10,softmax", "\"conv4k0\"", "at least 1");
    FAILS("avgpool0,fc10,softmax", "\"avgpool0\"", "at least 1");
    FAILS("conv4k5s0,fc10,softmax", "\"conv4k5s0\"", "at least 1");
    FAILS("avgpool2s0,fc10,softmax", "\"avgpool2s0\"", "at least 1");
}

Test(netspec, number_too_big)
{
    FAILS("fc999999,fc10,softmax", "\"fc999999\"", "larger than");
    FAILS("fc99999999999999999999999,fc10,softmax", "\"fc99999999999999999999999\"",
          "larger than");
    FAILS("conv4k999999,fc10,softmax", "\"conv4k999999\"", "larger than");
}

Test(netspec, garbage_suffix)
{
    FAILS("fc10x,softmax", "\"fc10x\"", "unexpected \"x\"");
    FAILS("conv4k5q2,fc10,softmax", "\"conv4k5q2\"", "unexpected \"q2\"");
    FAILS("avgpool2x,fc10,softmax", "\"avgpool2x\"", "unexpected \"x\"");
    FAILS("fc10,softmax2", "\"softmax2\"", "unexpected \"2\" after softmax");
    FAILS("fc 10,softmax", "\"fc 10\"", "expected a number");
}

Test(netspec, wrong_order)
{
    FAILS("conv4p2k5,fc10,softmax", "\"conv4p2k5\"", "expected k");
    FAILS("conv4k5s1p2,fc10,softmax", "\"conv4k5s1p2\"", "order");
    FAILS("avgpool2s2p1,fc10,softmax", "\"avgpool2s2p1\"", "order");
}

Test(netspec, empty_spec_and_empty_layers)
{
    FAILS("", "empty");
    FAILS("fc10,,softmax", "layer 2 \"\"", "empty layer");
    FAILS("fc10,softmax,", "layer 3 \"\"", "empty layer");
    FAILS(",fc10,softmax", "layer 1 \"\"", "empty layer");
    FAILS("fc10, ,softmax", "layer 2 \"\"", "empty layer");
    FAILS("   ", "empty");
}

Test(netspec, window_does_not_fit)
{
    /* 28 -> 14 -> 2: a 5x5 window does not fit a 2x2 map */
    FAILS("avgpool2,avgpool7,conv8k5,fc10,softmax", "\"conv8k5\"", "does not fit", "2x2");
    shape3 tiny = {1, 2, 2};
    parse_fails("conv8k5,fc10,softmax", tiny, 10,
                (const char *const[]){"\"conv8k5\"", "does not fit", NULL});
    /* with padding it does fit */
    parse_ok("conv8k5p2,fc10,softmax", tiny, 10);
    cr_assert(spec.layer[0].out_shape.h == 2 && spec.layer[0].out_shape.w == 2);
    FAILS("avgpool29,fc10,softmax", "\"avgpool29\"", "does not fit");
}

/* Pooling windows need not tile the map: the output side is rounded up,
 * Caffe's rule, less one where the last window would start in the padding. */
Test(netspec, pooling_rounds_up_as_caffe)
{
    parse_ok("avgpool3,fc10,softmax", MNIST, 10); /* (28 - 3) / 3 = 8.33: 10 windows */
    cr_assert(spec.layer[0].out_shape.h == 10 && spec.layer[0].out_shape.w == 10);
    parse_ok("conv4k5p2,avgpool2,maxpool4,fc10,softmax", MNIST, 10); /* 14 -> 4 */
    cr_assert(spec.layer[2].out_shape.h == 4 && spec.layer[2].out_shape.w == 4);
    parse_ok("avgpool4s3,fc10,softmax", MNIST, 10); /* tiles: 9 */
    cr_assert(spec.layer[0].out_shape.h == 9 && spec.layer[0].out_shape.w == 9);
    parse_ok("maxpool3s2,fc10,softmax", MNIST, 10); /* overlapping: 25 / 2 up, 14 */
    cr_assert(spec.layer[0].out_shape.h == 14);
    /* 4 wide, k2 p1 s3: ceil(4 / 3) + 1 = 3, but the third window would start
     * at 6 - 1 = 5, in the right padding: 2 (PyTorch's ceil_mode agrees) */
    parse_ok("maxpool2p1s3,fc10,softmax", (shape3){1, 4, 4}, 10);
    cr_assert(spec.layer[0].out_shape.h == 2 && spec.layer[0].out_shape.w == 2);
    FAILS("avgpool29,fc10,softmax", "\"avgpool29\"", "does not fit", "28x28");
    /* a stride above the window: the last window would start at 28, past
     * the input (Caffe keeps it, with nothing in it; PyTorch and we drop it) */
    parse_ok("maxpool1s4,fc10,softmax", MNIST, 10);
    cr_assert(spec.layer[0].out_shape.h == 7 && spec.layer[0].out_shape.w == 7);
}

Test(netspec, padding_not_smaller_than_window)
{
    FAILS("conv4k3p3,fc10,softmax", "\"conv4k3p3\"", "padding 3 must be smaller");
    FAILS("conv4k3p5,fc10,softmax", "\"conv4k3p5\"", "padding");
    FAILS("avgpool2p2,fc10,softmax", "\"avgpool2p2\"", "padding");
}

Test(netspec, window_after_fc)
{
    FAILS("fc100,conv4k5,fc10,softmax", "\"conv4k5\"", "after fc");
    FAILS("fc100,relu,avgpool2,fc10,softmax", "\"avgpool2\"", "after fc");
}

Test(netspec, loss_placement)
{
    FAILS("fc10,softmax,relu", "\"relu\"", "after the loss");
    FAILS("fc10,euclid,fc10,softmax", "\"fc10\"", "after the loss");
    FAILS("fc10,softmax,softmax", "after the loss");
    FAILS("fc10", "\"fc10\"", "must end with a loss");
    FAILS("fc392,relu,fc10,relu", "\"relu\"", "must end with a loss");
    FAILS("fc10,relu,softmax", "\"softmax\"", "must follow an fc");
    FAILS("softmax", "\"softmax\"", "must follow an fc");
    FAILS("conv10k28,euclid", "\"euclid\"", "must follow an fc");
}

Test(netspec, last_fc_must_match_classes)
{
    FAILS("fc392,relu,fc5,softmax", "\"softmax\"", "5 outputs", "10 classes");
    FAILS("fc11,euclid", "11 outputs", "10 classes");
    shape3 in = {3, 4, 4};
    parse_ok("fc7,softmax", in, 7);
    cr_assert_eq(spec.classes, 7);
    cr_assert_eq(spec.n_params, 7 * 48 + 7);
}

Test(netspec, layer_count_limit)
{
    char text[NET_SPEC_MAX];
    text[0] = 0;
    /* exactly NET_MAX_LAYERS layers parse */
    for (int i = 0; i < NET_MAX_LAYERS - 2; i++)
        strcat(text, "relu,");
    strcat(text, "fc10,softmax");
    parse_ok(text, MNIST, 10);
    cr_assert_eq(spec.n_layers, NET_MAX_LAYERS);
    cr_assert_eq(spec.n_params, 7850);

    /* one more fails */
    text[0] = 0;
    for (int i = 0; i < NET_MAX_LAYERS - 1; i++)
        strcat(text, "relu,");
    strcat(text, "fc10,softmax");
    char want[32];
    snprintf(want, sizeof want, "more than %d layers", NET_MAX_LAYERS);
    FAILS(text, want);
}

Test(netspec, spec_length_limit)
{
    char text[NET_SPEC_MAX + 16];
    /* NET_SPEC_MAX characters: too long */
    memset(text, ' ', NET_SPEC_MAX);
    memcpy(text, "fc10,softmax", 12);
    text[NET_SPEC_MAX] = 0;
    char want[80];
    snprintf(want, sizeof want, "%d characters long, more than the %d a checkpoint keeps",
             NET_SPEC_MAX, NET_SPEC_MAX - 1);
    FAILS(text, want);

    /* NET_SPEC_MAX - 1 characters (trailing spaces) are accepted */
    text[NET_SPEC_MAX - 1] = 0;
    parse_ok(text, MNIST, 10);
    cr_assert_str_eq(spec.text, "fc10,softmax");
}

/* n layers dropout.000000001 (canonical: dropout0.000000001, one longer),
 * then extra, then fc10,softmax. */
static void growing_spec(char *out, size_t len, int n, const char *extra)
{
    out[0] = 0;
    for (int i = 0; i < n; i++) strncat(out, "dropout.000000001,", len - strlen(out) - 1);
    strncat(out, extra, len - strlen(out) - 1);
    strncat(out, "fc10,softmax", len - strlen(out) - 1);
}

/* The canonical text may be longer than the spec given, and must fit whole:
 * a cut one is a checkpoint that no command can load (issue 25's case 1).
 * 511 characters are kept, 512 refused with the limit named. */
Test(netspec, canonical_length_limit)
{
    char text[NET_SPEC_MAX], again[NET_SPEC_MAX];
    growing_spec(text, sizeof text, 26, "relu,");
    cr_assert_eq(strlen(text), 485);
    parse_ok(text, MNIST, 10);
    cr_assert_eq(strlen(spec.text), NET_SPEC_MAX - 1, "%s", spec.text);
    cr_assert_eq(strncmp(spec.text + strlen(spec.text) - 17, "relu,fc10,softmax", 17), 0);
    snprintf(again, sizeof again, "%s", spec.text);
    parse_ok(again, MNIST, 10);
    cr_assert_str_eq(spec.text, again);

    growing_spec(text, sizeof text, 26, "lrelu,");
    FAILS(text, "network spec is 512 characters long in canonical form",
          "dropout0.000000001,dropout0.0000...", "more than the 511 a checkpoint keeps");
    growing_spec(text, sizeof text, 27, "");
    FAILS(text, "525 characters long in canonical form");
}

/* A message that quotes a spec near the limit and a long bad token is
 * whole: it still ends with what is wrong. */
Test(netspec, long_messages_are_whole)
{
    static const struct { const char *head; char fill; const char *end; } cases[] = {
        {"conv4k5", 'z', "(the order is k, then p, then s)"},
        {"", 'q', "gap, dropout<P>, bn, softmax, euclid"},
        {"dropout", '9', "\""},
        {"fc10", 'x', "after fc<N>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[NET_SPEC_MAX];
        snprintf(text, sizeof text, "%s", "fc10,fc10,fc10,fc10,fc10,fc10,fc10,fc10,");
        strcat(text, cases[i].head);
        size_t n = strlen(text);
        memset(text + n, cases[i].fill, NET_SPEC_MAX - 1 - n);
        text[NET_SPEC_MAX - 1] = 0;
        cr_assert_eq(net_spec_parse(text, MNIST, 10, &spec, err, sizeof err), -1);
        size_t len = strlen(err), end = strlen(cases[i].end);
        cr_assert_lt(len, sizeof err - 1, "case %zu: the message filled the buffer", i);
        cr_assert(len >= end && !strcmp(err + len - end, cases[i].end),
                  "case %zu: the message does not end with \"%s\": ...%s", i, cases[i].end,
                  err + (len > 80 ? len - 80 : 0));
    }
}

Test(netspec, message_fits_small_buffer)
{
    char small[16];
    memset(small, 'x', sizeof small);
    int r = net_spec_parse("conv4k5p2,rleu,fc10,softmax", MNIST, 10, &spec, small, sizeof small);
    cr_assert_eq(r, -1);
    cr_assert_not_null(memchr(small, 0, sizeof small), "message not terminated in its buffer");
}
