/* Reading format 3's optional input sections: each channel's scaling and
 * the class names (docs/checkpoint-format.md). Both follow the network
 * section, whose input shape and class count they must fit. */
#include "checkpoint_bytes.h"

#include <math.h>
#include <stdio.h>

static int parse_scaling(rbuf *r, checkpoint_meta *m, char *why, size_t len)
{
    uint32_t channels = get_u32(r);
    if (r->short_read || (int)channels != m->in_c || channels > INPUT_MAX_CHANNELS) {
        snprintf(why, len, "its scaling section is for %u channels, its inputs have %d",
                 channels, m->in_c);
        return -1;
    }
    m->norm.channels = (int)channels;
    for (uint32_t c = 0; c < channels; c++) m->norm.scale[c] = get_f32(r);
    for (uint32_t c = 0; c < channels; c++) m->norm.shift[c] = get_f32(r);
    return 0;
}

static int parse_names(rbuf *r, checkpoint_meta *m, char *why, size_t len)
{
    uint32_t count = get_u32(r);
    if (r->short_read || (int)count != m->classes || count < 1 || count > CLASS_MAX) {
        snprintf(why, len, "its names section names %u classes, its network has %d", count,
                 m->classes);
        return -1;
    }
    class_names_alloc(&m->names, (int)count);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t n = get_u32(r);
        const unsigned char *text = n < CLASS_NAME_MAX ? take(r, n) : NULL;
        if (!text || class_names_set(&m->names, (int)i, (const char *)text, n, "names section",
                                     why, len)) {
            if (!text) snprintf(why, len, "its names section's name %u is cut short or longer "
                                "than %d bytes", i, CLASS_NAME_MAX - 1);
            class_names_free(&m->names);
            return -1;
        }
    }
    return 0;
}

int checkpoint_parse_input(int scaling, rbuf *r, checkpoint_meta *m, char *why, size_t len)
{
    if (m->in_c == 0) { /* (every writer puts the network section first) */
        snprintf(why, len, "its %s section comes before its network section",
                 scaling ? "scaling" : "names");
        return -1;
    }
    return scaling ? parse_scaling(r, m, why, len) : parse_names(r, m, why, len);
}
