/*
 * bench_crypto.c — what the primitives cost on this machine, in the units the design
 * cares about: bridge datagrams (1400-byte AES-256-GCM seals) per second against a
 * 1 Gbit/s link, attestation signatures per second, SHA-256 throughput for uploads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	enum { DGRAM = 1400, N_SEAL = 200000, N_SIGN = 5000, HASH_MB = 256 };
	static uint8_t pt[DGRAM], ct[DGRAM], buf[1 << 20];
	uint8_t key[32], nonce[12] = { 0 }, tag[16], pub[32], priv[32], sig[64], digest[32];
	double t0, dt, gbit;
	int i;

	crypto_random(key, sizeof key);
	crypto_random(pt, sizeof pt);
	t0 = now_s();
	for (i = 0; i < N_SEAL; i++) {
		memcpy(nonce, &i, sizeof i);
		if (crypto_aead_seal(key, nonce, nonce, sizeof nonce, pt, DGRAM, ct, tag) != 0)
			return 1;
	}
	dt = now_s() - t0;
	gbit = (double)N_SEAL * DGRAM * 8 / dt / 1e9;
	printf("aead_seal_1400B      %10.0f datagrams/s  %6.2f Gbit/s  (%.1fx a 1 Gbit/s link)\n",
	       N_SEAL / dt, gbit, gbit);

	crypto_ed25519_keygen(pub, priv);
	t0 = now_s();
	for (i = 0; i < N_SIGN; i++)
		crypto_ed25519_sign(priv, pt, 256, sig);
	dt = now_s() - t0;
	printf("ed25519_sign_256B    %10.0f signatures/s\n", N_SIGN / dt);
	t0 = now_s();
	for (i = 0; i < N_SIGN; i++)
		if (crypto_ed25519_verify(pub, pt, 256, sig) != 0)
			return 1;
	dt = now_s() - t0;
	printf("ed25519_verify_256B  %10.0f verifications/s\n", N_SIGN / dt);

	crypto_random(buf, sizeof buf);
	t0 = now_s();
	for (i = 0; i < HASH_MB; i++)
		crypto_sha256(buf, sizeof buf, digest);
	dt = now_s() - t0;
	printf("sha256               %10.0f MiB/s\n", HASH_MB / dt);
	return 0;
}
