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
 * The same datagram goes through the sieve of an association OpenSSL
 * keeps (core/dtls_sieve.c; the second octet picks AEAD, CBC with
 * encrypt_then_mac and a SHA-1, SHA-256 or SHA-384 MAC, or CBC
 * MAC-then-encrypt, and the room): what it keeps must be whole records of
 * the datagram, in order and unchanged, within the room; a CBC
 * encrypt_then_mac record made from the input under the peer's MAC key
 * must pass it, and not once one octet of it (but its epoch or length)
 * changed.
 * Build with clang -fsanitize=fuzzer,address,undefined
 * (tests/fuzz_dtls_rec.sh).  The file includes core/dtls_rec.c and
 * core/dtls_sieve.c itself to make associations without a handshake.
 */
#include "core/dtls_rec.c"
#include "core/dtls_sieve.c"

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

/* A sieve of kind pick % 6 (AEAD kinds: the ChaCha and GCM minimums). */
static void
fuzz_sieve_make(uint8_t pick, struct dtls_sieve *s)
{
	static const char *const md[] = { "SHA1", "SHA256", "SHA384" };
	size_t	 i, k = pick % 6;

	memset(s, 0, sizeof(*s));
	s->on = true;
	s->version = 0xfefd;
	s->epoch = 1;
	if (k < 2) {
		s->aead = true;
		s->min = k == 0 ? 16 : 8 + 16;
		return;
	}
	s->bs = 16;
	s->etm = k < 5;
	snprintf(s->md, sizeof(s->md), "%s", md[k < 5 ? k - 2 : 0]);
	s->maclen = k == 3 ? 32 : k == 4 ? 48 : 20;
	for (i = 0; i < s->maclen; i++)
		s->mackey[i] = (uint8_t)(0x3c ^ i);
	sv_min(s);
}

/* What the sieve kept of d is whole records of d, in order, unchanged. */
static void
fuzz_sieve_kept(const uint8_t *d, size_t n, const uint8_t *out, size_t kept)
{
	size_t	 len, at = 0;

	while (n >= 13 && (len = 13 + (size_t)(d[11] << 8 | d[12])) <= n) {
		if (at + len <= kept && memcmp(out + at, d, len) == 0)
			at += len;
		d += len;
		n -= len;
	}
	if (at != kept)
		abort();
}

static void
fuzz_sieve(uint8_t pick, const uint8_t *d, size_t n, uint8_t flip)
{
	struct dtls_sieve s;
	uint8_t		 out[FUZZ_ROOM + 200], rec[FUZZ_ROOM + 200], pseudo[13];
	size_t		 room, kept, body, len, mdlen = 0, at;
	uint64_t	 dropped = 0;

	fuzz_sieve_make(pick, &s);
	room = pick & 0x40 ? sizeof(out) : n / 2;
	if (room > sizeof(out))
		room = sizeof(out);
	kept = dtls_sieve_run(&s, d, n, out, room, &dropped);
	if (kept > room)
		abort();
	fuzz_sieve_kept(d, n, out, kept);
	if (!s.etm)
		return;
	/* IV and whole blocks from the input, the MAC over them. */
	body = n > FUZZ_ROOM ? FUZZ_ROOM : n;
	body = body < 2 * s.bs ? 2 * s.bs : body / s.bs * s.bs;
	memset(rec, 0, sizeof(rec));
	memcpy(rec + 13, d, n < body ? n : body);
	rec[0] = 23;
	rec[1] = 0xfe;
	rec[2] = 0xfd;
	rec[4] = 1;
	rec[10] = flip;			/* the sequence number */
	len = body + s.maclen;
	rec[11] = (uint8_t)(len >> 8);
	rec[12] = (uint8_t)len;
	memcpy(pseudo, rec + 3, 8);
	pseudo[8] = 23;
	pseudo[9] = 0xfe;
	pseudo[10] = 0xfd;
	pseudo[11] = (uint8_t)(body >> 8);
	pseudo[12] = (uint8_t)body;
	memcpy(out, pseudo, 13);
	memcpy(out + 13, rec + 13, body);
	if (EVP_Q_mac(NULL, "HMAC", NULL, s.md, NULL, s.mackey, s.maclen, out,
	    13 + body, rec + 13 + body, EVP_MAX_MD_SIZE, &mdlen) == NULL ||
	    mdlen != s.maclen)
		abort();
	if (dtls_sieve_run(&s, rec, 13 + len, out, sizeof(out), &dropped) !=
	    13 + len)
		abort();
	at = ((size_t)flip * 7919 + body) % (13 + len);
	rec[at] ^= 0x01;
	if ((at < 3 || at > 4) && at != 11 && at != 12 &&
	    dtls_sieve_run(&s, rec, 13 + len, out, sizeof(out), &dropped) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtls_rec	 a, b;

	if (size < 2 || !fuzz_pair(data[0], &a, &b))
		return 0;
	fuzz_as_datagram(&a, data + 2, size - 2);
	fuzz_sieve(data[1], data + 2, size - 2, data[0]);
	fuzz_round_trip(&a, &b, data + 2, size - 2, data[1]);
	EVP_CIPHER_free(a.cipher);
	EVP_CIPHER_free(b.cipher);
	return 0;
}
