/*
 * fuzz_bridge_frame.c — frame_open on arbitrary datagrams, and on datagrams sealed
 * with the real key around fuzzed header fields.
 *
 * The first byte picks the path. Even: the rest is a datagram off the wire, opened
 * with a fixed key (almost always refused before or at authentication). Odd: the
 * rest is a 64-byte header and a payload that are sealed with that key, so the
 * fuzzer reaches the geometry and manifest checks that only authentic datagrams
 * get to, and every accepted frame is then fed to a small assembly. Whatever
 * frame_open accepts must satisfy frame_check_geometry; anything else aborts.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assembly.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LINK 7

static const uint8_t KEY[CRYPTO_AEAD_KEY_LEN] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};

static char dir[] = "/tmp/fuzz_bridge_frame.XXXXXX";
static int dir_ready;

static void
feed_assembly(const struct frame_hdr *h, const uint8_t *pl, size_t plen)
{
	struct assembly_config cfg;
	struct assembly_event ev;
	struct assembly *a;

	if (!dir_ready) {
		if (mkdtemp(dir) == NULL)
			return;
		dir_ready = 1;
	}
	assembly_config_default(&cfg);
	cfg.dir = dir;
	cfg.max_object_size = 1 << 20;	/* keep sparse temporary files small */
	cfg.memory_budget = 1 << 20;
	if (assembly_new(&a, &cfg) != ASSEMBLY_STORED)
		return;
	(void)assembly_feed(a, h, pl, plen);
	(void)assembly_feed(a, h, pl, plen);	/* the duplicate path */
	while (assembly_poll(a, &ev))
		if (ev.kind == ASSEMBLY_COMPLETE) {
			int fd = open(ev.path, O_RDONLY | O_CLOEXEC);

			/* The store step: check the digest, give a mismatch back. */
			if (fd >= 0 && assembly_verify_fd(&ev, fd) != ASSEMBLY_STORED)
				assembly_reject(a, &ev);
			if (fd >= 0)
				close(fd);
			remove(ev.path);
		}
	assembly_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dg[FRAME_MAX_DATAGRAM], pl[FRAME_MAX_DATAGRAM];
	struct frame_limits lim;
	struct frame_rx rx;
	struct frame_tx tx;
	struct frame_hdr h;
	const uint8_t *p;
	size_t len, plen = 0, n;
	int rc;

	if (size < 1 || ((data[0] & 1) != 0 && size < 1 + FRAME_HDR_LEN))
		return 0;
	frame_limits_default(&lim);
	if (frame_rx_init(&rx, KEY, FUZZ_LINK, &lim) != FRAME_OK)
		abort();
	if ((data[0] & 1) == 0) {
		p = data + 1;
		len = size - 1;
	} else {
		frame_hdr_decode(data + 1, &h);
		h.type = data[1 + 5];
		n = size - 1 - FRAME_HDR_LEN;
		if (n > FRAME_MAX_DATAGRAM - FRAME_OVERHEAD)
			n = FRAME_MAX_DATAGRAM - FRAME_OVERHEAD;
		if (frame_tx_init(&tx, KEY, FUZZ_LINK, 1) != FRAME_OK ||
		    frame_seal(&tx, &h, data + 1 + FRAME_HDR_LEN, n, dg, sizeof(dg), &len)
		    != FRAME_OK)
			abort();
		frame_tx_free(&tx);
		p = dg;
	}
	rc = frame_open(&rx, p, len, &h, pl, sizeof(pl), &plen);
	if (rc == FRAME_OK) {
		if (plen + FRAME_OVERHEAD != len ||
		    frame_check_geometry(&h, plen, &rx.lim) != FRAME_OK)
			abort();
		/* The same datagram again is a replay, always. */
		if (frame_open(&rx, p, len, &h, pl, sizeof(pl), &plen) != FRAME_EREPLAY)
			abort();
		feed_assembly(&h, pl, plen);
	} else if (rc <= -FRAME_NREASONS || rc > 0) {
		abort();	/* only rejection reasons may come from a datagram */
	}
	frame_rx_free(&rx);
	return 0;
}
