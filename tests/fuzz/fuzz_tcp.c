/*
 * fuzz_tcp.c - libFuzzer target for the RFC 3430 stream framer.
 *
 * The input is a byte stream cut into reads: the first octet of the input
 * seeds the read sizes.  Whatever the cuts, the framer must yield the same
 * messages as one read of the whole stream, each a SEQUENCE whose length
 * field matches the message, never longer than the bound, and stop for
 * good at the same point when the stream is refused.
 * Build with clang -fsanitize=fuzzer,address,undefined (make fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/tcp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_MSG	4096

struct fuzz_sum {
	size_t		 n;
	size_t		 total;
	uint32_t	 hash;
};

static int
fuzz_cb(const uint8_t *m, size_t len, void *arg)
{
	struct fuzz_sum	*s = arg;
	struct ber	 b;
	struct ber_tlv	 t;
	size_t		 i;

	if (len > FUZZ_MAX_MSG || len < 2 || m[0] != BER_TAG_SEQUENCE)
		abort();
	/* The frame is exactly one element for the BER reader. */
	ber_init(&b, m, len);
	if (ber_read_tlv(&b, &t) == -1 || !ber_at_end(&b))
		abort();
	for (i = 0; i < len; i++)
		s->hash = s->hash * 31 + m[i];
	s->n++;
	s->total += len;
	return 0;
}

static int
fuzz_run(const uint8_t *p, size_t n, unsigned seed, struct fuzz_sum *s)
{
	struct tcp_framer	*f;
	size_t			 k;
	int			 r = 0;

	if ((f = tcp_framer_new(FUZZ_MAX_MSG)) == NULL)
		abort();
	memset(s, 0, sizeof(*s));
	while (n > 0) {
		k = seed == 0 ? n : 1 + (seed % 7);
		seed = seed * 1103515245 + 12345;
		if (k > n)
			k = n;
		if ((r = tcp_framer_feed(f, p, k, fuzz_cb, s)) == -1)
			break;
		p += k;
		n -= k;
	}
	if (r == 0 && tcp_framer_pending(f) > FUZZ_MAX_MSG)
		abort();
	tcp_framer_free(f);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sum	 whole, cut;
	int		 r1, r2;

	if (size < 1)
		return 0;
	r1 = fuzz_run(data + 1, size - 1, 0, &whole);
	r2 = fuzz_run(data + 1, size - 1, data[0] | 1u, &cut);
	if (r1 != r2 || whole.n != cut.n || whole.total != cut.total ||
	    whole.hash != cut.hash)
		abort();
	return 0;
}
