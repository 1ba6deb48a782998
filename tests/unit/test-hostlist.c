// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/hostlist.c: the fleet's hosts as text lines and as status --json
 * documents (one, several concatenated), and the lines named on errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostlist.h"
#include "tap.h"

#define HW_MILAN "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
		 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

struct got {
	struct host_key k[8];
	unsigned int line[8];
	size_t n;
};

static int collect(void *arg, unsigned int line, const struct host_key *k)
{
	struct got *g = arg;

	if (g->n == 8)
		return -E2BIG;
	g->k[g->n] = *k;
	g->line[g->n++] = line;
	return 0;
}

static int parse(const char *text, struct got *g, unsigned int *bad, char *why, size_t wlen)
{
	*g = (struct got){ 0 };
	return hosts_parse(text, strlen(text), collect, g, bad, why, wlen);
}

static void test_lines(void)
{
	const char *text = "# the fleet\n\n  Milan " HW_MILAN " bl=3,tee=1,snp=8,ucode=115\n"
			   "turin 0123456789abcdef 0x4700000016030401\r\n";
	unsigned int bad = 7;
	char why[256];
	struct got g;

	CHECK_EQ(parse(text, &g, &bad, why, sizeof(why)), 0, "lines: parsed");
	CHECK_EQ(bad, 0u, "lines: no bad line");
	CHECK_EQ(g.n, (size_t)2, "lines: two hosts, comments and blank lines skipped");
	CHECK(g.k[0].product == AMD_PRODUCT_MILAN && g.k[0].chip_id_len == 64 &&
		      g.k[0].chip_id[63] == 0x3f && g.k[0].tcb.snp == 8 && g.k[0].tcb.ucode == 115,
	      "lines: the Milan host");
	CHECK_EQ(g.line[0], 3u, "lines: its line");
	CHECK(g.k[1].product == AMD_PRODUCT_TURIN && g.k[1].chip_id_len == 8 &&
		      g.k[1].tcb.fmc == 1 && g.k[1].tcb.bl == 4 && g.k[1].tcb.snp == 22,
	      "lines: the Turin host, its raw TCB decoded in Turin's layout (CRLF allowed)");
	CHECK_EQ(parse("Milan " HW_MILAN " bl=3,tee=1,snp=8,ucode=115\nGenoa 0102 0x1\n", &g, &bad,
		       why, sizeof(why)), -EINVAL, "lines: a short chip id");
	CHECK_EQ(bad, 2u, "lines: named by its line");
	CHECK_STR(why, "the chip id is 4 hex digits, not 128", "lines: and why");
	CHECK_EQ(parse("Milan " HW_MILAN "\n", &g, &bad, why, sizeof(why)), -EINVAL,
		 "lines: two fields");
	CHECK_STR(why, "expected 'product chip_id tcb'", "lines: two fields, why");
	CHECK_EQ(parse("Venice " HW_MILAN " 0x1\n", &g, &bad, why, sizeof(why)), -EINVAL,
		 "lines: an unknown product");
	CHECK_EQ(parse("Milan " HW_MILAN " fmc=1,bl=3,tee=1,snp=8,ucode=115\n", &g, &bad, why,
		       sizeof(why)), -EINVAL, "lines: fmc off Turin");
	CHECK_EQ(parse("Milan " HW_MILAN " bl=3,tee=1,snp=8,ucode=115 extra\n", &g, &bad, why,
		       sizeof(why)), -EINVAL, "lines: four fields");
	CHECK_EQ(hosts_parse("Milan\0x", 7, collect, &g, &bad, why, sizeof(why)), -EINVAL,
		 "lines: a NUL byte");
	CHECK_EQ(parse("", &g, &bad, why, sizeof(why)), 0, "an empty file: no host");
	CHECK_EQ(g.n, (size_t)0, "an empty file: none");
}

#define DOC "{\n  \"sev\": {\"chip_id\": \"" HW_MILAN "\",\n" \
	    "    \"reported_tcb\": {\"bl\": 3, \"raw\": \"0x7308000000000103\"}},\n" \
	    "  \"product\": \"Milan\"\n}\n"

static void test_json(void)
{
	unsigned int bad = 0;
	char why[256];
	struct got g;

	CHECK_EQ(parse(DOC DOC "\n" DOC, &g, &bad, why, sizeof(why)), 0, "json: three documents");
	CHECK_EQ(g.n, (size_t)3, "json: three hosts");
	CHECK(g.line[0] == 1 && g.line[1] == 6 && g.line[2] == 12, "json: where each starts");
	CHECK(g.k[2].product == AMD_PRODUCT_MILAN && g.k[2].tcb.snp == 8 &&
		      g.k[2].tcb.ucode == 115 && g.k[2].chip_id_len == 64,
	      "json: product, chip id and reported TCB");
	CHECK_EQ(parse(DOC "{\"product\": \"Milan\",\n \"sev\": {}}", &g, &bad, why, sizeof(why)),
		 -EINVAL, "json: no chip id");
	CHECK_EQ(bad, 6u, "json: the document's first line");
	CHECK_EQ(parse(DOC "{\"product\": \"Milan\",\n \"sev\": {", &g, &bad, why, sizeof(why)),
		 -EINVAL, "json: cut short");
	CHECK(strncmp(why, "not JSON: ", 10) == 0, "json: cut short, why");
	CHECK_EQ(parse("{\"error\": {\"message\": \"x\", \"exit\": 5}}", &g, &bad, why, sizeof(why)),
		 -EINVAL, "json: the error document");
	CHECK_EQ(parse(DOC "Milan x y\n", &g, &bad, why, sizeof(why)), -EINVAL,
		 "json: text after a document");
	CHECK_EQ(bad, 6u, "json: text after a document, its line");
	CHECK_EQ(parse("{\"product\": \"Milan\", \"product\": \"Genoa\"}", &g, &bad, why,
		       sizeof(why)), -EINVAL, "json: a duplicate key");
	CHECK_EQ(parse(DOC DOC DOC DOC DOC DOC DOC DOC DOC, &g, &bad, why, sizeof(why)), -E2BIG,
		 "json: the callback's code comes back");
}

int main(void)
{
	test_lines();
	test_json();
	return tap_done();
}
