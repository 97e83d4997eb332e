/*
 * fuzz_dtls_rec.c - libFuzzer target for the DTLS records we protect
 * ourselves once a client handshake is done (core/dtls_rec.c).
 *
 * The first octet picks the cipher (AES-128-GCM, AES-256-GCM or
 * ChaCha20-Poly1305) and where the replay window stands; the rest is
 * used twice:
 * - as a datagram from the agent: dtls_rec_scan() and dtls_rec_open()
 *   must walk it without reading past its end, consume it in whole
 *   records, and never return more plaintext than the room given (no
 *   forged input can pass the tag: we hold keys the input cannot know);
 * - as a plaintext the agent seals with the same keys: it must open to
 *   the same octets, once only (a replay is dropped), and not at all
 *   after any one octet of the record is changed.
 * Build with clang -fsanitize=fuzzer,address,undefined
 * (tests/fuzz_dtls_rec.sh).  The file includes core/dtls_rec.c itself to
 * make associations without a handshake.
 */
#include "core/dtls_rec.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ROOM	2048

static const struct {
	const char	*name;
	size_t		 keylen, ivlen;
	bool		 chacha;
} fuzz_ciphers[] = {
	{ "AES-128-GCM", 16, 4, false },
	{ "AES-256-GCM", 32, 4, false },
	{ "ChaCha20-Poly1305", 32, 12, true },
};

/* Our side (a) and the agent's (b): b writes with what a reads. */
static bool
fuzz_pair(uint8_t pick, struct dtls_rec *a, struct dtls_rec *b)
{
	size_t	 c = pick % 3, i;

	memset(a, 0, sizeof(*a));
	a->chacha = fuzz_ciphers[c].chacha;
	a->keylen = fuzz_ciphers[c].keylen;
	a->ivlen = fuzz_ciphers[c].ivlen;
	for (i = 0; i < sizeof(a->wkey); i++) {
		a->wkey[i] = (uint8_t)(0x11 + i);
		a->rkey[i] = (uint8_t)(0xa0 ^ i);
	}
	for (i = 0; i < sizeof(a->wiv); i++) {
		a->wiv[i] = (uint8_t)(0x5a + i);
		a->riv[i] = (uint8_t)(0xc3 ^ i);
	}
	a->version = 0xfefd;
	a->epoch = 1;
	a->wseq = 1;
	/* The window at 0, in the middle, or at the last sequence number. */
	a->rmax = (pick / 3) % 3 == 0 ? 0 : (pick / 3) % 3 == 1 ?
	    UINT64_C(1) << 24 : REC_MAX_SEQ - 1;
	a->rwin = pick & 0x80 ? ~UINT64_C(0) : 1;
	a->cipher = EVP_CIPHER_fetch(NULL, fuzz_ciphers[c].name, NULL);
	if (a->cipher == NULL)
		return false;
	*b = *a;
	memcpy(b->wkey, a->rkey, sizeof(b->wkey));
	memcpy(b->wiv, a->riv, sizeof(b->wiv));
	b->wseq = a->rmax + 1;
	b->cipher = NULL;
	if ((b->cipher = EVP_CIPHER_fetch(NULL, fuzz_ciphers[c].name,
	    NULL)) == NULL) {
		EVP_CIPHER_free(a->cipher);
		return false;
	}
	return true;
}

static void
fuzz_as_datagram(struct dtls_rec *a, const uint8_t *d, size_t n)
{
	struct dtls_seen s = { 0 };
	const uint8_t	*p = d;
	uint8_t		 out[FUZZ_ROOM], type;
	size_t		 left = n, before;
	ssize_t		 got;

	dtls_rec_scan(d, n, &s);
	while (left > 0) {
		before = left;
		got = dtls_rec_open(a, &p, &left, &type, out, sizeof(out));
		/* Forged input never passes the tag. */
		if (got >= 0)
			abort();
		/* Whole records consumed; a cut one ends the datagram. */
		if (left >= before || p < d || p > d + n ||
		    (left > 0 && p + left != d + n))
			abort();
	}
}

static void
fuzz_round_trip(struct dtls_rec *a, struct dtls_rec *b, const uint8_t *in,
    size_t n, uint8_t flip)
{
	uint8_t		 rec[FUZZ_ROOM + 64], out[FUZZ_ROOM], type = 0;
	const uint8_t	*p;
	size_t		 left, at;
	ssize_t		 len, got;
	uint64_t	 rmax = a->rmax, rwin = a->rwin;

	if (n > FUZZ_ROOM)
		n = FUZZ_ROOM;
	if ((len = dtls_rec_seal(b, 23, in, n, rec, sizeof(rec))) == -1)
		return;		/* only past the last sequence number */
	/* One changed octet: dropped, the window unmoved. */
	at = flip % (size_t)len;
	rec[at] ^= 0x01;
	p = rec;
	left = (size_t)len;
	got = dtls_rec_open(a, &p, &left, &type, out, sizeof(out));
	if (got != -1 || a->rmax != rmax || a->rwin != rwin)
		abort();
	rec[at] ^= 0x01;
	p = rec;
	left = (size_t)len;
	got = dtls_rec_open(a, &p, &left, &type, out, sizeof(out));
	if (got != (ssize_t)n || type != 23 || left != 0 ||
	    memcmp(out, in, n) != 0)
		abort();
	/* The same record again: a replay. */
	p = rec;
	left = (size_t)len;
	if (dtls_rec_open(a, &p, &left, &type, out, sizeof(out)) != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtls_rec	 a, b;

	if (size < 2 || !fuzz_pair(data[0], &a, &b))
		return 0;
	fuzz_as_datagram(&a, data + 2, size - 2);
	fuzz_round_trip(&a, &b, data + 2, size - 2, data[1]);
	EVP_CIPHER_free(a.cipher);
	EVP_CIPHER_free(b.cipher);
	return 0;
}
