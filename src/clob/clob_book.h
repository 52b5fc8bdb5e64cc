/*
 * clob_book.h — the L3 limit order book of the synthetic CLOB V2 backtest.
 *
 * Internal to src/clob (tests drive it directly).  One unified book in
 * YES-price space: BUY NO at q is SELL YES at 1 - q.  Prices are integer
 * units of 1e-4 pUSD, sizes integer micro-shares (multiples of 0.01 share, so
 * price * size / 1e4 is an exact micro-pUSD amount).  Each price level holds
 * a FIFO of orders, so queue position is exact; a fill happens at the
 * resting order's price.  Orders live in a preallocated pool: nothing is
 * allocated after ClobBookInit.
 */
#ifndef PTOPT_CLOB_BOOK_H
#define PTOPT_CLOB_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOB_PRICE_SCALE 10000		/* price units per 1 pUSD */
#define CLOB_TICK_COARSE 100		/* 0.01 */
#define CLOB_TICK_FINE 10			/* 0.001 */
#define CLOB_FINE_BELOW 400			/* fine ticks below 0.04 */
#define CLOB_FINE_ABOVE 9600		/* fine ticks above 0.96 */
#define CLOB_SHARE 1000000LL		/* micro-shares per share */
#define CLOB_SIZE_QUANTUM 10000LL	/* sizes are multiples of 0.01 share */
#define CLOB_PUSD 1000000LL			/* micro-pUSD per pUSD */
#define CLOB_NO_EXPIRY INT64_MAX
#define CLOB_GTD_EARLY_US 60000000LL	/* GTD expires 60 s before its stated time */
#define CLOB_BOOK_WORDS ((CLOB_PRICE_SCALE + 64) / 64)
#define CLOB_BOOK_SUMMARY ((CLOB_BOOK_WORDS + 63) / 64)	/* one bit per non-zero bitmap word */

typedef enum ClobSide
{
	CLOB_BUY = 0,
	CLOB_SELL = 1
} ClobSide;

typedef enum ClobToken
{
	CLOB_YES = 0,
	CLOB_NO = 1
} ClobToken;

typedef enum ClobOrderType
{
	CLOB_GTC = 0,
	CLOB_GTD,
	CLOB_FOK,
	CLOB_FAK
} ClobOrderType;

/* Who placed an order: the strategy under test or an exogenous agent. */
typedef enum ClobOwner
{
	CLOB_OWNER_MM = 0,
	CLOB_OWNER_BACKGROUND,
	CLOB_OWNER_NOISE,
	CLOB_OWNER_INFORMED,
	CLOB_OWNER_TEST
} ClobOwner;

/* Exchange phase: the weekly restart answers 425, then accepts post-only. */
typedef enum ClobPhase
{
	CLOB_PHASE_OPEN = 0,
	CLOB_PHASE_RESTART,			/* submits and cancels rejected (HTTP 425) */
	CLOB_PHASE_POST_ONLY,		/* only post-only orders accepted */
	CLOB_PHASE_CLOSED			/* market closed: everything rejected */
} ClobPhase;

/* Why an order was refused (by the exchange or by a gate before sending). */
typedef enum ClobReject
{
	CLOB_OK = 0,
	CLOB_REJ_INVALID_TICK,
	CLOB_REJ_PRICE_BOUNDS,
	CLOB_REJ_MIN_SIZE,
	CLOB_REJ_INVALID_SIZE,
	CLOB_REJ_POST_ONLY_CROSS,
	CLOB_REJ_POST_ONLY_TYPE,
	CLOB_REJ_GTD_EXPIRED,
	CLOB_REJ_FOK_UNFILLED,
	CLOB_REJ_ENGINE_RESTART,
	CLOB_REJ_RESTART_POST_ONLY,
	CLOB_REJ_MARKET_CLOSED,
	CLOB_REJ_BOOK_FULL,
	CLOB_REJ_UNKNOWN_ORDER,
	CLOB_REJ_BUILDER,
	CLOB_REJ_JURISDICTION,
	CLOB_REJ_SIGNER_DOMAIN,
	CLOB_REJ_SIGNATURE_TYPE,
	CLOB_REJ_KILL_SWITCH,
	CLOB_REJ_EXPOSURE,
	CLOB_REJ_BALANCE,
	CLOB_REJ_RATE_LIMIT,
	CLOB_REJ_COUNT
} ClobReject;

/*
 * A node of the pool: a resting order (32 bytes, two to a cache line; a
 * GTD's expiry is kept apart), or a price level's sentinel.  Each level's
 * FIFO is a circular doubly-linked list through its sentinel, so linking and
 * unlinking are plain stores with no end cases.
 */
typedef struct ClobOrder
{
	int64_t		size;			/* remaining micro-shares (a level: its total) */
	int32_t		price;			/* YES-price units */
	int32_t		next;			/* FIFO links, node indices (a level: next = head, prev = tail) */
	int32_t		prev;
	int32_t		ref;			/* owner's reference (strategy record, tape id) */
	uint8_t		side;			/* ClobSide in YES space */
	uint8_t		owner;			/* ClobOwner */
	uint8_t		live;			/* a resting order (never a level) */
	uint8_t		expires;		/* a GTD: its expiry is in ClobBook.expiry */
} ClobOrder;

/* A price level is its sentinel node: an empty level links to itself. */
typedef ClobOrder ClobLevel;

/*
 * Node indices below 0: the levels' sentinels (bids then asks, by price),
 * then at -1 a node that is never live, so orders[-1] may be read.
 */
#define CLOB_BOOK_NODES (2 * (CLOB_PRICE_SCALE + 1) + 1)

/* The node index of a level's sentinel: side 0 or 1 (a ClobSide), YES price. */
static inline int32_t
ClobLevelNode(int side, int32_t price)
{
	return side * (CLOB_PRICE_SCALE + 1) + price - CLOB_BOOK_NODES;
}

/* One order as submitted, in its own token's price space. */
typedef struct ClobOrderReq
{
	uint8_t		side;			/* ClobSide */
	uint8_t		token;			/* ClobToken */
	uint8_t		type;			/* ClobOrderType */
	bool		post_only;
	int32_t		price;			/* price units of the token */
	int64_t		size;			/* micro-shares */
	int64_t		expire_us;		/* GTD: the stated expiration */
	uint8_t		owner;			/* ClobOwner */
	int32_t		ref;
} ClobOrderReq;

typedef struct ClobSubmitResult
{
	ClobReject	reject;			/* CLOB_OK when accepted */
	int64_t		filled;			/* micro-shares taken on arrival */
	int64_t		notional;		/* micro-pUSD of those fills (YES prices) */
	int32_t		resting;		/* pool index of the resting remainder, or -1 */
	int32_t		n_fills;		/* maker orders touched */
} ClobSubmitResult;

/* One fill, reported to the book's callback. */
typedef struct ClobFill
{
	const ClobOrder *maker;		/* the resting order (size already reduced) */
	int32_t		maker_index;
	bool		maker_done;		/* the maker order left the book */
	uint8_t		taker_owner;
	int32_t		taker_ref;
	uint8_t		taker_side;		/* YES space */
	int32_t		price;			/* the maker's price, YES space */
	int64_t		size;			/* micro-shares */
} ClobFill;

typedef void (*ClobFillFn) (void *arg, const ClobFill *fill);

typedef struct ClobBook
{
	ClobOrder  *orders;			/* the pool, orders[0 .. capacity); the levels below 0 */
	int64_t    *expiry;			/* effective expiry per pool slot, read when expires */
	int32_t		capacity;
	int32_t		free_head;
	union
	{
		struct
		{
			int32_t		best_bid;	/* -1 when empty */
			int32_t		best_ask;	/* CLOB_PRICE_SCALE + 1 when empty */
		};
		int32_t		best[2];	/* the same two, by ClobSide */
	};
	ClobPhase	phase;
	int64_t		min_size;		/* micro-shares */
	ClobFillFn	on_fill;
	void	   *fill_arg;
	int64_t		n_expired;		/* GTD orders dropped at match time */
	ClobLevel  *bids;			/* CLOB_PRICE_SCALE + 1 levels each, one block with the pool: */
	ClobLevel  *asks;			/* asks == bids + CLOB_PRICE_SCALE + 1, orders == bids + NODES */
	ClobLevel  *levels[2];		/* bids and asks, by ClobSide */
	uint64_t	bits[2][CLOB_BOOK_WORDS];	/* occupied levels per ClobSide */
	uint64_t	sum[2][CLOB_BOOK_SUMMARY];	/* which bits words are non-zero */
} ClobBook;

/* The reason's short name ("post_only_would_cross"). */
extern const char *ClobRejectName(ClobReject reason);

#define CLOB_PRICE_MIN CLOB_TICK_FINE	/* 0.001 */
#define CLOB_PRICE_MAX (CLOB_PRICE_SCALE - CLOB_TICK_FINE)	/* 0.999 */

/* True when a price lies in a fine-tick region (below 0.04 or above 0.96). */
static inline bool
ClobFineRegion(int32_t price)
{
	return price < CLOB_FINE_BELOW || price > CLOB_FINE_ABOVE;
}

/* The grid per price unit 0..CLOB_PRICE_SCALE (clob_ticks.c): on it, floor, ceiling. */
extern const uint8_t ClobTickOk[CLOB_PRICE_SCALE + 1];
extern const int16_t ClobTickFloor[CLOB_PRICE_SCALE + 1];
extern const int16_t ClobTickCeil[CLOB_PRICE_SCALE + 1];

/* Check a price of a token: bounds [0.001, 0.999], then the grid of its region. */
static inline ClobReject
ClobPriceCheck(int32_t price)
{
	if (price < CLOB_PRICE_MIN || price > CLOB_PRICE_MAX)
		return CLOB_REJ_PRICE_BOUNDS;
	return ClobTickOk[price] ? CLOB_OK : CLOB_REJ_INVALID_TICK;
}

/* The tick at a price (100 or 10 units). */
static inline int32_t
ClobTickAt(int32_t price)
{
	return ClobFineRegion(price) ? CLOB_TICK_FINE : CLOB_TICK_COARSE;
}

/* Round a price down onto the grid, clamped to [0.001, 0.999] (both on the grid). */
static inline int32_t
ClobPriceFloor(int32_t price)
{
	if (price < CLOB_PRICE_MIN)
		return CLOB_PRICE_MIN;
	if (price > CLOB_PRICE_MAX)
		return CLOB_PRICE_MAX;
	return ClobTickFloor[price];
}

/* Round a price up onto the grid, clamped to [0.001, 0.999] (both on the grid). */
static inline int32_t
ClobPriceCeil(int32_t price)
{
	if (price > CLOB_PRICE_MAX)
		return CLOB_PRICE_MAX;
	if (price < CLOB_PRICE_MIN)
		return CLOB_PRICE_MIN;
	return ClobTickCeil[price];
}

/*
 * The V2 taker fee in micro-pUSD: round5(shares * rate * (p (1 - p))^exp)
 * pUSD, zero below 0.00001.  p is a YES price in units.
 */
extern int64_t ClobTakerFee(int64_t size, int32_t price, double fee_rate, double fee_exp);

/* Allocate a book with room for capacity resting orders; false when out of memory. */
extern bool ClobBookInit(ClobBook *book, int32_t capacity, int64_t min_size);

/* Empty the book (keeps its memory). */
extern void ClobBookReset(ClobBook *book);

/* Free the book's memory. */
extern void ClobBookFree(ClobBook *book);

/* Submit one order at time now_us; fills go to book->on_fill. */
extern void ClobBookSubmit(ClobBook *book, const ClobOrderReq *req, int64_t now_us,
						   ClobSubmitResult *res);

/* Rest a post-only GTC order of a liquidity-only owner (the tape); its pool index or -1. */
extern int32_t ClobBookAddPassive(ClobBook *book, uint8_t side, int32_t price, int64_t size,
								  uint8_t owner, int32_t ref);

/* Cancel a resting order by pool index; returns the reason it could not be (CLOB_OK on success). */
extern ClobReject ClobBookCancel(ClobBook *book, int32_t index);

/* Cancel only if the slot still holds the order of this owner and ref (index -1: nothing). */
extern ClobReject ClobBookCancelOwned(ClobBook *book, int32_t index, uint8_t owner, int32_t ref);

/* Remove a resting order regardless of phase (exchange-side cancel). */
extern void ClobBookRemove(ClobBook *book, int32_t index);

/* How many orders rest in the book (counts the pool: for tests and checks). */
extern int32_t ClobBookLive(const ClobBook *book);

/* Resting size at a YES price on one side. */
extern int64_t ClobBookDepthAt(const ClobBook *book, ClobSide side, int32_t price);

/* Next non-empty level strictly worse than price on a side (-1 / SCALE+1 when none). */
extern int32_t ClobBookNextBid(const ClobBook *book, int32_t below);
extern int32_t ClobBookNextAsk(const ClobBook *book, int32_t above);

#endif							/* PTOPT_CLOB_BOOK_H */
