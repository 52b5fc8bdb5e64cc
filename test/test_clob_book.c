/*
 * test_clob_book.c — the L3 book of the CLOB V2 backtest: validation, FIFO,
 * fills at the resting price, order types, YES/NO mirroring, the restart
 * phases, and the V2 taker fee.
 */
#include <string.h>

#include "clob_book.h"
#include "pt_alloc.h"
#include "unit.h"

#define SH(x) ((int64_t) (x) * CLOB_SHARE)
#define MAX_FILLS 64

typedef struct Recorded
{
	int			n;
	ClobFill	fill[MAX_FILLS];
	int32_t		maker_ref[MAX_FILLS];
} Recorded;

/* Keep every fill (the maker pointer is only valid during the call). */
static void
record(void *arg, const ClobFill *fill)
{
	Recorded   *r = arg;

	if (r->n < MAX_FILLS)
	{
		r->fill[r->n] = *fill;
		r->maker_ref[r->n] = fill->maker->ref;
		r->n++;
	}
}

/* Submit a plain order and return the result. */
static ClobSubmitResult
submit(ClobBook *b, int side, int token, int type, bool post_only, int32_t price, int64_t size,
	   int32_t ref, int64_t now)
{
	ClobOrderReq req;
	ClobSubmitResult res;

	memset(&req, 0, sizeof(req));
	req.side = (uint8_t) side;
	req.token = (uint8_t) token;
	req.type = (uint8_t) type;
	req.post_only = post_only;
	req.price = price;
	req.size = size;
	req.owner = CLOB_OWNER_TEST;
	req.ref = ref;
	ClobBookSubmit(b, &req, now, &res);
	return res;
}

/* The grid's rules computed directly, to check the tables of clob_ticks.c against. */
static ClobReject
ref_check(int32_t price)
{
	if (price < CLOB_PRICE_MIN || price > CLOB_PRICE_MAX)
		return CLOB_REJ_PRICE_BOUNDS;
	if (price % CLOB_TICK_COARSE == 0)
		return CLOB_OK;
	if (price % CLOB_TICK_FINE == 0 && ClobFineRegion(price))
		return CLOB_OK;
	return CLOB_REJ_INVALID_TICK;
}

/* Floor by the rules: clamp, then the tick of the price's own region. */
static int32_t
ref_floor(int32_t price)
{
	if (price < CLOB_PRICE_MIN)
		return CLOB_PRICE_MIN;
	if (price > CLOB_PRICE_MAX)
		price = CLOB_PRICE_MAX;
	return ClobFineRegion(price) ? price - price % CLOB_TICK_FINE : price - price % CLOB_TICK_COARSE;
}

/* Ceiling by the rules: clamp, then up to the next tick, out of the fine region onto a coarse one. */
static int32_t
ref_ceil(int32_t price)
{
	int32_t		p;

	if (price > CLOB_PRICE_MAX)
		return CLOB_PRICE_MAX;
	if (price < CLOB_PRICE_MIN)
		price = CLOB_PRICE_MIN;
	if (price < CLOB_FINE_BELOW)
		p = price + CLOB_TICK_FINE - 1;
	else if (price <= CLOB_FINE_ABOVE - CLOB_TICK_COARSE)
		return price + CLOB_TICK_COARSE - 1 - (price + CLOB_TICK_COARSE - 1) % CLOB_TICK_COARSE;
	else
	{
		p = price + CLOB_TICK_FINE - 1;
		p -= p % CLOB_TICK_FINE;
		if (!ClobFineRegion(p) && p % CLOB_TICK_COARSE != 0)
			p += CLOB_TICK_COARSE - p % CLOB_TICK_COARSE;
		return p > CLOB_PRICE_MAX ? CLOB_PRICE_MAX : p;
	}
	return p - p % CLOB_TICK_FINE;
}

/* The table-driven ClobPriceCheck, ClobPriceFloor and ClobPriceCeil agree with the rules everywhere. */
static void
test_tick_tables(void)
{
	int32_t		x;
	int			bad = 0;

	for (x = -200; x <= CLOB_PRICE_SCALE + 200; x++)
		if (ClobPriceCheck(x) != ref_check(x) || ClobPriceFloor(x) != ref_floor(x) ||
			ClobPriceCeil(x) != ref_ceil(x) ||
			(x >= 0 && x <= CLOB_PRICE_SCALE && ClobTickOk[x] != (ref_check(x) == CLOB_OK)))
			bad++;
	CHECK(bad == 0, "the tick tables match the grid's rules at every price (%d differ)", bad);
}

/* Validation: ticks, bounds, sizes, and the order-type rules. */
static void
test_validation(void)
{
	ClobBook	b;
	ClobSubmitResult r;

	CHECK(ClobBookInit(&b, 64, SH(5)), "book allocates");
	CHECK(ClobPriceCheck(5000) == CLOB_OK, "0.50 is on the grid");
	CHECK(ClobPriceCheck(5050) == CLOB_REJ_INVALID_TICK, "0.505 is off the 0.01 grid");
	CHECK(ClobPriceCheck(9700) == CLOB_OK && ClobPriceCheck(9710) == CLOB_OK,
		  "0.97 and 0.971 are valid above 0.96 (tick 0.001)");
	CHECK(ClobPriceCheck(9605) == CLOB_REJ_INVALID_TICK, "0.9605 is off even the fine grid");
	CHECK(ClobPriceCheck(9550) == CLOB_REJ_INVALID_TICK, "0.955 is off-tick below the 0.96 switch");
	CHECK(ClobPriceCheck(30) == CLOB_OK && ClobPriceCheck(390) == CLOB_OK,
		  "0.003 and 0.039 are valid below 0.04");
	CHECK(ClobPriceCheck(0) == CLOB_REJ_PRICE_BOUNDS && ClobPriceCheck(10000) == CLOB_REJ_PRICE_BOUNDS
		  && ClobPriceCheck(5) == CLOB_REJ_PRICE_BOUNDS, "0, 1 and 0.0005 are out of bounds");
	CHECK(ClobPriceFloor(4567) == 4500 && ClobPriceCeil(4567) == 4600, "rounding onto the 0.01 grid");
	CHECK(ClobPriceFloor(9734) == 9730 && ClobPriceCeil(9734) == 9740, "rounding onto the 0.001 grid");
	{
		int32_t		x;
		int			bad_floor = 0;
		int			bad_ceil = 0;

		/* Every input: on the grid, on the right side, and no grid price in between. */
		for (x = -200; x <= CLOB_PRICE_SCALE + 200; x++)
		{
			int32_t		f = ClobPriceFloor(x);
			int32_t		c = ClobPriceCeil(x);
			int32_t		y;

			if (ClobPriceCheck(f) != CLOB_OK || (x >= CLOB_PRICE_MIN && f > x))
				bad_floor++;
			else
				for (y = f + 1; y <= x && y <= CLOB_PRICE_MAX; y++)
					if (ClobPriceCheck(y) == CLOB_OK)
					{
						bad_floor++;
						break;
					}
			if (ClobPriceCheck(c) != CLOB_OK || (x <= CLOB_PRICE_MAX && c < x))
				bad_ceil++;
			else
				for (y = x > CLOB_PRICE_MIN ? x : CLOB_PRICE_MIN; y < c; y++)
					if (ClobPriceCheck(y) == CLOB_OK)
					{
						bad_ceil++;
						break;
					}
		}
		CHECK(bad_floor == 0 && bad_ceil == 0,
			  "floor and ceil land on the nearest grid price for every input (%d, %d wrong)",
			  bad_floor, bad_ceil);
	}

	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, false, 5050, SH(10), 1, 0);
	CHECK(r.reject == CLOB_REJ_INVALID_TICK, "off-tick order rejected: %s", ClobRejectName(r.reject));
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, false, 0, SH(10), 1, 0);
	CHECK(r.reject == CLOB_REJ_PRICE_BOUNDS, "price 0 rejected: %s", ClobRejectName(r.reject));
	r = submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 10000, SH(10), 1, 0);
	CHECK(r.reject == CLOB_REJ_PRICE_BOUNDS, "price 1 rejected: %s", ClobRejectName(r.reject));
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, false, 5000, SH(4), 1, 0);
	CHECK(r.reject == CLOB_REJ_MIN_SIZE, "4 shares under the 5-share minimum rejected: %s",
		  ClobRejectName(r.reject));
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, false, 5000, SH(10) + 1, 1, 0);
	CHECK(r.reject == CLOB_REJ_INVALID_SIZE, "size finer than 0.01 share rejected: %s",
		  ClobRejectName(r.reject));
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, true, 5000, SH(10), 1, 0);
	CHECK(r.reject == CLOB_REJ_POST_ONLY_TYPE, "post-only FAK rejected: %s", ClobRejectName(r.reject));
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FOK, true, 5000, SH(10), 1, 0);
	CHECK(r.reject == CLOB_REJ_POST_ONLY_TYPE, "post-only FOK rejected");
	CHECK(ClobBookLive(&b) == 0, "nothing rested after rejects");
	CHECK(strcmp(ClobRejectName(CLOB_REJ_POST_ONLY_CROSS), "post_only_would_cross") == 0,
		  "reasons have names");
	ClobBookFree(&b);
}

/* Price-time priority and fills at the resting price. */
static void
test_fifo(void)
{
	ClobBook	b;
	Recorded	rec = {0};
	ClobSubmitResult r;
	ClobSubmitResult a1;
	ClobSubmitResult a2;

	ClobBookInit(&b, 64, SH(5));
	b.on_fill = record;
	b.fill_arg = &rec;
	a1 = submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 5200, SH(10), 101, 1);
	a2 = submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 5200, SH(10), 102, 2);
	submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 5300, SH(10), 103, 3);
	CHECK(a1.resting >= 0 && a2.resting >= 0 && b.best_ask == 5200, "two asks rest at 0.52");
	CHECK(ClobBookDepthAt(&b, CLOB_SELL, 5200) == SH(20), "level 0.52 holds 20 shares");

	/* A buy at 0.55 for 15: the earlier ask fills first and fully, all at 0.52. */
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, false, 5500, SH(15), 7, 4);
	CHECK(r.reject == CLOB_OK && r.filled == SH(15), "FAK buy filled 15");
	CHECK(rec.n == 2, "two fills");
	CHECK(rec.maker_ref[0] == 101 && rec.fill[0].size == SH(10) && rec.fill[0].maker_done,
		  "the earlier order at the level filled first, completely");
	CHECK(rec.maker_ref[1] == 102 && rec.fill[1].size == SH(5) && !rec.fill[1].maker_done,
		  "the later order filled partially");
	CHECK(rec.fill[0].price == 5200 && rec.fill[1].price == 5200,
		  "fills happen at the resting price 0.52, not the taker's 0.55");
	CHECK(r.notional == 15 * 520000, "notional is 15 shares at 0.52 = 7.8 pUSD");
	CHECK(b.best_ask == 5200 && ClobBookDepthAt(&b, CLOB_SELL, 5200) == SH(5), "5 shares left at 0.52");

	/* A new order joins the back of the queue: the partially filled one keeps priority. */
	submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 5200, SH(10), 104, 5);
	rec.n = 0;
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, false, 5200, SH(8), 8, 6);
	CHECK(rec.n == 2 && rec.maker_ref[0] == 102 && rec.maker_ref[1] == 104,
		  "queue order is kept after a partial fill");

	/* A FAK that cannot fill all cancels the rest; nothing rests. */
	rec.n = 0;
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, false, 5300, SH(100), 9, 7);
	CHECK(r.filled == SH(17) && r.resting < 0, "FAK takes 17 available up to 0.53 and the rest dies");
	CHECK(b.best_ask == CLOB_PRICE_SCALE + 1, "ask side empty");

	/* FOK: all or nothing. */
	submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 6000, SH(10), 105, 8);
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FOK, false, 6000, SH(11), 10, 9);
	CHECK(r.reject == CLOB_REJ_FOK_UNFILLED && r.filled == 0, "FOK for 11 against 10 is killed");
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FOK, false, 6000, SH(10), 10, 10);
	CHECK(r.reject == CLOB_OK && r.filled == SH(10), "FOK for 10 against 10 fills");

	/* GTC that crosses takes, then rests its remainder at its limit. */
	submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 4000, SH(10), 106, 11);
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, false, 4100, SH(25), 11, 12);
	CHECK(r.filled == SH(10) && r.resting >= 0 && b.best_bid == 4100 &&
		  ClobBookDepthAt(&b, CLOB_BUY, 4100) == SH(15), "GTC takes 10 at 0.40 and rests 15 at 0.41");
	CHECK(ClobBookCancel(&b, r.resting) == CLOB_OK && b.best_bid == -1, "cancel removes it");
	CHECK(ClobBookCancel(&b, r.resting) == CLOB_REJ_UNKNOWN_ORDER, "a second cancel is refused");
	ClobBookFree(&b);
}

/* Post-only, GTD expiry and YES/NO mirroring. */
static void
test_types_and_mirroring(void)
{
	ClobBook	b;
	Recorded	rec = {0};
	ClobSubmitResult r;
	ClobOrderReq req;
	int64_t		t0 = 1000LL * 1000000;

	ClobBookInit(&b, 64, SH(5));
	b.on_fill = record;
	b.fill_arg = &rec;
	submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 5200, SH(10), 1, 0);
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, true, 5200, SH(10), 2, 0);
	CHECK(r.reject == CLOB_REJ_POST_ONLY_CROSS && rec.n == 0,
		  "post-only buy at the best ask is rejected, nothing filled");
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, true, 5100, SH(10), 2, 0);
	CHECK(r.reject == CLOB_OK && r.resting >= 0, "post-only buy below the ask rests");

	/* BUY NO at 0.47 is SELL YES at 0.53: no cross with the 0.51 bid... */
	r = submit(&b, CLOB_BUY, CLOB_NO, CLOB_GTC, false, 4700, SH(10), 3, 0);
	CHECK(r.filled == 0 && b.best_ask == 5200 && ClobBookDepthAt(&b, CLOB_SELL, 5300) == SH(10),
		  "BUY NO at 0.47 rests as a YES ask at 0.53");
	/* ...while SELL NO at 0.48 is BUY YES at 0.52 and takes the 0.52 ask. */
	rec.n = 0;
	r = submit(&b, CLOB_SELL, CLOB_NO, CLOB_FAK, false, 4800, SH(10), 4, 0);
	CHECK(r.filled == SH(10) && rec.n == 1 && rec.fill[0].price == 5200 &&
		  rec.fill[0].taker_side == CLOB_BUY, "SELL NO at 0.48 fills against the YES ask at 0.52");
	/* BUY NO at 0.49 meets the YES bid at 0.51. */
	rec.n = 0;
	r = submit(&b, CLOB_BUY, CLOB_NO, CLOB_FAK, false, 4900, SH(10), 5, 0);
	CHECK(r.filled == SH(10) && rec.n == 1 && rec.fill[0].price == 5100,
		  "BUY NO at 0.49 fills against the YES bid at 0.51 (a pair merged)");

	/* GTD: effective expiry 60 s before the stated time. */
	ClobBookReset(&b);
	memset(&req, 0, sizeof(req));
	req.side = CLOB_SELL;
	req.type = CLOB_GTD;
	req.price = 5500;
	req.size = SH(10);
	req.owner = CLOB_OWNER_TEST;
	req.expire_us = t0 + 30LL * 1000000;
	ClobBookSubmit(&b, &req, t0, &r);
	CHECK(r.reject == CLOB_REJ_GTD_EXPIRED, "GTD stating now + 30 s is already expired (60 s rule)");
	req.expire_us = t0 + 120LL * 1000000;
	ClobBookSubmit(&b, &req, t0, &r);
	CHECK(r.reject == CLOB_OK && r.resting >= 0, "GTD stating now + 120 s rests");
	rec.n = 0;
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, false, 5500, SH(5), 6, t0 + 59LL * 1000000);
	CHECK(r.filled == SH(5), "it fills 59 s later");
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, false, 5500, SH(5), 6, t0 + 61LL * 1000000);
	CHECK(r.filled == 0 && b.n_expired == 1 && ClobBookLive(&b) == 0,
		  "61 s later (past stated time - 60 s) it has expired and is dropped");
	ClobBookFree(&b);
}

/* The weekly restart: 425, then post-only; the market close. */
static void
test_restart_phases(void)
{
	ClobBook	b;
	ClobSubmitResult r;
	ClobSubmitResult resting;

	ClobBookInit(&b, 64, SH(5));
	resting = submit(&b, CLOB_SELL, CLOB_YES, CLOB_GTC, false, 5200, SH(10), 1, 0);
	b.phase = CLOB_PHASE_RESTART;
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, true, 5000, SH(10), 2, 0);
	CHECK(r.reject == CLOB_REJ_ENGINE_RESTART, "during a restart even post-only is rejected (425)");
	CHECK(ClobBookCancel(&b, resting.resting) == CLOB_REJ_ENGINE_RESTART,
		  "cancels are rejected during a restart too");
	b.phase = CLOB_PHASE_POST_ONLY;
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, false, 5000, SH(10), 2, 0);
	CHECK(r.reject == CLOB_REJ_RESTART_POST_ONLY, "after it, a plain GTC is rejected: %s",
		  ClobRejectName(r.reject));
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_FAK, false, 5200, SH(10), 2, 0);
	CHECK(r.reject == CLOB_REJ_RESTART_POST_ONLY && r.filled == 0, "and so is a taker");
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, true, 5000, SH(10), 2, 0);
	CHECK(r.reject == CLOB_OK && r.resting >= 0, "while post-only is accepted");
	CHECK(ClobBookCancel(&b, resting.resting) == CLOB_OK, "cancels work again");
	b.phase = CLOB_PHASE_CLOSED;
	r = submit(&b, CLOB_BUY, CLOB_YES, CLOB_GTC, true, 4900, SH(10), 3, 0);
	CHECK(r.reject == CLOB_REJ_MARKET_CLOSED, "a closed market rejects everything");
	ClobBookFree(&b);
}

/* The V2 fee: round5(shares * rate * (p (1 - p))^exp). */
static void
test_fee(void)
{
	/* 100 shares at rate 0.25. */
	CHECK(ClobTakerFee(SH(100), 5000, 0.25, 1.0) == 6250000, "p=0.5, exp 1: 100*0.25*0.25 = 6.25 pUSD");
	CHECK(ClobTakerFee(SH(100), 5000, 0.25, 2.0) == 1562500, "p=0.5, exp 2: 100*0.25*0.0625 = 1.5625 pUSD");
	CHECK(ClobTakerFee(SH(100), 9000, 0.25, 1.0) == 2250000, "p=0.9, exp 1: 100*0.25*0.09 = 2.25 pUSD");
	CHECK(ClobTakerFee(SH(100), 9000, 0.25, 2.0) == 202500, "p=0.9, exp 2: 100*0.25*0.0081 = 0.2025 pUSD");
	CHECK(ClobTakerFee(SH(100), 1000, 0.25, 2.0) == ClobTakerFee(SH(100), 9000, 0.25, 2.0),
		  "the fee is symmetric in p and 1 - p");
	/* Rounding to 5 decimals: 7 shares at 0.5, rate 0.0175, exp 1 = 0.030625 -> 0.03063 (half up). */
	CHECK(ClobTakerFee(SH(7), 5000, 0.0175, 1.0) == 30630, "rounded to 0.00001 pUSD");
	CHECK(ClobTakerFee(SH(1) / 100, 9990, 0.0175, 2.0) == 0, "a fee below 0.00001 is zero");
	CHECK(ClobTakerFee(SH(100), 5000, 0.0, 1.0) == 0, "zero rate, zero fee");
}

/* Compare two books' resting orders level by level, in queue order. */
static bool
same_books(const ClobBook *a, const ClobBook *b)
{
	int32_t		p;

	if (a->best_bid != b->best_bid || a->best_ask != b->best_ask || ClobBookLive(a) != ClobBookLive(b))
		return false;
	for (p = 0; p <= CLOB_PRICE_SCALE; p++)
	{
		int			side;

		for (side = 0; side < 2; side++)
		{
			int32_t		level = ClobLevelNode(side, p);
			const ClobLevel *la = &a->orders[level];
			const ClobLevel *lb = &b->orders[level];
			int32_t		ia = la->next;
			int32_t		ib = lb->next;

			if (la->size != lb->size)
				return false;
			for (; ia != level && ib != level; ia = a->orders[ia].next, ib = b->orders[ib].next)
				if (a->orders[ia].size != b->orders[ib].size || a->orders[ia].ref != b->orders[ib].ref)
					return false;
			if (ia != level || ib != level)
				return false;
		}
	}
	return true;
}

/*
 * ClobBookAddPassive, the tape's shortcut, against ClobBookSubmit of the same
 * post-only GTC order: the same refusals and the same book over many random
 * orders (off-tick prices, small and unquantised sizes, crossing prices, a
 * full pool, every phase).
 */
static void
test_add_passive(void)
{
	ClobBook	a;
	ClobBook	b;
	uint64_t	x = 12345;
	int			i;
	int			mismatches = 0;
	int			rested = 0;
	int			refused = 0;

	CHECK(ClobBookInit(&a, 40, SH(5)) && ClobBookInit(&b, 40, SH(5)), "two books allocate");
	for (i = 0; i < 20000; i++)
	{
		ClobSubmitResult r;
		int32_t		price;
		int64_t		size;
		int			side;
		int32_t		idx;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		side = (int) ((x >> 33) & 1);
		price = 300 + (int32_t) ((x >> 34) % 9600);
		if ((x >> 50) % 4 != 0)
			price -= price % ((x >> 52) % 2 ? CLOB_TICK_COARSE : CLOB_TICK_FINE);
		size = (int64_t) ((x >> 20) % 3000) * CLOB_SIZE_QUANTUM + ((x >> 56) % 8 == 0 ? 1 : 0);
		if (i % 500 == 0)
			a.phase = b.phase = (ClobPhase) ((i / 500) % 4);
		r = submit(&a, side, CLOB_YES, CLOB_GTC, true, price, size, i, 0);
		idx = ClobBookAddPassive(&b, (uint8_t) side, price, size, CLOB_OWNER_TEST, i);
		if ((r.resting >= 0) != (idx >= 0))
			mismatches++;
		if (idx >= 0)
			rested++;
		else
			refused++;
		/* Cancel now and then, oldest pool slots first, so the pools stay in step. */
		if (i % 3 == 0 && a.phase != CLOB_PHASE_RESTART)
		{
			int32_t		k = (int32_t) ((x >> 40) % 40);

			if (a.orders[k].live)
				(void) ClobBookCancel(&a, k);
			if (b.orders[k].live)
				(void) ClobBookCancel(&b, k);
		}
	}
	CHECK(mismatches == 0 && same_books(&a, &b),
		  "ClobBookAddPassive rests and refuses as ClobBookSubmit does (%d rested, %d refused, %d mismatches)",
		  rested, refused, mismatches);
	CHECK(rested > 1000 && refused > 1000, "both outcomes were exercised");
	ClobBookFree(&a);
	ClobBookFree(&b);
}

/*
 * The tape's cancel: only the order still in the slot with the owner and
 * reference it was placed with goes; -1 (a refused add), a slot reused by
 * another order and the restart phase leave the book as it is.
 */
static void
test_cancel_owned(void)
{
	ClobBook	b;
	int32_t		a;
	int32_t		c;

	CHECK(ClobBookInit(&b, 16, SH(5)), "book allocates");
	a = ClobBookAddPassive(&b, CLOB_BUY, 4000, SH(10), CLOB_OWNER_BACKGROUND, 7);
	CHECK(ClobBookCancelOwned(&b, -1, CLOB_OWNER_BACKGROUND, 7) == CLOB_REJ_UNKNOWN_ORDER,
		  "index -1 (a refused add) cancels nothing");
	CHECK(ClobBookCancelOwned(&b, ClobLevelNode(CLOB_BUY, 4000), CLOB_OWNER_MM, 0) ==
		  CLOB_REJ_UNKNOWN_ORDER &&
		  ClobBookCancel(&b, ClobLevelNode(CLOB_BUY, 4000)) == CLOB_REJ_UNKNOWN_ORDER &&
		  ClobBookCancelOwned(&b, b.capacity, CLOB_OWNER_MM, 0) == CLOB_REJ_UNKNOWN_ORDER &&
		  ClobBookLive(&b) == 1 && ClobBookDepthAt(&b, CLOB_BUY, 4000) == SH(10),
		  "a level's sentinel node and an index past the pool are no orders to cancel");
	CHECK(ClobBookCancelOwned(&b, a, CLOB_OWNER_BACKGROUND, 8) == CLOB_REJ_UNKNOWN_ORDER &&
		  ClobBookCancelOwned(&b, a, CLOB_OWNER_NOISE, 7) == CLOB_REJ_UNKNOWN_ORDER &&
		  ClobBookLive(&b) == 1, "another reference or owner in the slot: not cancelled");
	b.phase = CLOB_PHASE_RESTART;
	CHECK(ClobBookCancelOwned(&b, a, CLOB_OWNER_BACKGROUND, 7) == CLOB_REJ_ENGINE_RESTART &&
		  ClobBookLive(&b) == 1, "refused during the restart");
	b.phase = CLOB_PHASE_OPEN;
	CHECK(ClobBookCancelOwned(&b, a, CLOB_OWNER_BACKGROUND, 7) == CLOB_OK && ClobBookLive(&b) == 0 &&
		  b.best_bid == -1, "the order placed with that owner and reference is cancelled");
	c = ClobBookAddPassive(&b, CLOB_SELL, 6000, SH(10), CLOB_OWNER_BACKGROUND, 9);
	CHECK(c == a && ClobBookCancelOwned(&b, a, CLOB_OWNER_BACKGROUND, 7) == CLOB_REJ_UNKNOWN_ORDER &&
		  b.best_ask == 6000, "a reused slot is not cancelled for its old order");
	ClobBookFree(&b);
}

/*
 * Best prices and next levels across the whole price range: levels far
 * apart (several bitmap words, and bitmap summary words, between them),
 * emptied one by one from the best; a reset leaves every level empty.
 */
static void
test_far_levels(void)
{
	ClobBook	b;
	int32_t		bid_lo;
	int32_t		bid_hi;
	int32_t		ask_lo;
	int32_t		ask_hi;
	int32_t		p;
	int64_t		depth = 0;

	CHECK(ClobBookInit(&b, 16, SH(5)), "book allocates");
	bid_lo = ClobBookAddPassive(&b, CLOB_BUY, 10, SH(5), CLOB_OWNER_TEST, 1);
	bid_hi = ClobBookAddPassive(&b, CLOB_BUY, 4500, SH(5), CLOB_OWNER_TEST, 2);
	ask_hi = ClobBookAddPassive(&b, CLOB_SELL, 9990, SH(5), CLOB_OWNER_TEST, 3);
	ask_lo = ClobBookAddPassive(&b, CLOB_SELL, 5100, SH(5), CLOB_OWNER_TEST, 4);
	CHECK(b.best_bid == 4500 && b.best_ask == 5100, "best prices 0.45 / 0.51");
	CHECK(ClobBookNextBid(&b, 4500) == 10 && ClobBookNextBid(&b, 10) == -1 &&
		  ClobBookNextAsk(&b, 5100) == 9990 && ClobBookNextAsk(&b, 9990) == CLOB_PRICE_SCALE + 1,
		  "next levels across the range");
	CHECK(ClobBookNextBid(&b, CLOB_PRICE_SCALE + 1) == 4500 && ClobBookNextAsk(&b, -1) == 5100,
		  "next levels from outside the range");
	ClobBookRemove(&b, bid_hi);
	ClobBookRemove(&b, ask_lo);
	CHECK(b.best_bid == 10 && b.best_ask == 9990, "an emptied best moves to the far level");
	ClobBookRemove(&b, bid_lo);
	ClobBookRemove(&b, ask_hi);
	CHECK(b.best_bid == -1 && b.best_ask == CLOB_PRICE_SCALE + 1 && ClobBookLive(&b) == 0,
		  "emptied sides have no best price");
	(void) ClobBookAddPassive(&b, CLOB_BUY, 3000, SH(5), CLOB_OWNER_TEST, 5);
	(void) ClobBookAddPassive(&b, CLOB_SELL, 9700, SH(7), CLOB_OWNER_TEST, 6);
	ClobBookReset(&b);
	for (p = 0; p <= CLOB_PRICE_SCALE; p++)
		depth += ClobBookDepthAt(&b, CLOB_BUY, p) + ClobBookDepthAt(&b, CLOB_SELL, p) +
			(b.bids[p].next != ClobLevelNode(CLOB_BUY, p)) + (b.asks[p].prev != ClobLevelNode(CLOB_SELL, p));
	CHECK(depth == 0 && b.best_bid == -1 && ClobBookNextAsk(&b, 0) == CLOB_PRICE_SCALE + 1,
		  "a reset leaves every level empty");
	ClobBookFree(&b);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	test_tick_tables();
	test_validation();
	test_fifo();
	test_types_and_mirroring();
	test_restart_phases();
	test_fee();
	test_add_passive();
	test_cancel_owned();
	test_far_levels();
	CHECK(PtAllocLive() == 0, "no allocation leaked (%ld live)", PtAllocLive());
	return UnitDone();
}
