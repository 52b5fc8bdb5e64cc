/*
 * clob_book.c — the L3 book: validation, price-time matching, the V2 fee.
 */
#include <math.h>
#include <string.h>

#include "clob_book.h"
#include "clob_book_ops.h"
#include "pt_alloc.h"

static const char *const reject_names[CLOB_REJ_COUNT] = {
	"ok",
	"invalid_tick",
	"price_out_of_bounds",
	"below_min_size",
	"invalid_size",
	"post_only_would_cross",
	"post_only_invalid_type",
	"gtd_expired",
	"fok_not_filled",
	"engine_restart_425",
	"restart_post_only",
	"market_closed",
	"book_full",
	"unknown_order",
	"builder_not_allowed",
	"jurisdiction_not_allowed",
	"signer_domain_version",
	"signature_type",
	"kill_switch",
	"exposure_guard",
	"insufficient_balance",
	"rate_limited"
};

/* The reason's short name. */
const char *
ClobRejectName(ClobReject reason)
{
	if ((int) reason < 0 || reason >= CLOB_REJ_COUNT)
		return "unknown";
	return reject_names[reason];
}

/* The taker fee in micro-pUSD. */
int64_t
ClobTakerFee(int64_t size, int32_t price, double fee_rate, double fee_exp)
{
	double		x = (double) price / CLOB_PRICE_SCALE;
	double		base = x * (1.0 - x);
	double		factor;
	double		fee;

	if (fee_rate <= 0.0 || size <= 0)
		return 0;
	if (fee_exp == 1.0)
		factor = base;
	else if (fee_exp == 2.0)
		factor = base * base;
	else
		factor = pow(base, fee_exp);
	fee = (double) size / CLOB_SHARE * fee_rate * factor;
	if (fee < 0.00001)
		return 0;
	return (int64_t) llround(fee * 1e5) * 10;
}

/* Next bid level strictly below a price. */
int32_t
ClobBookNextBid(const ClobBook *book, int32_t below)
{
	return bits_prev(book->bits[CLOB_BUY], book->sum[CLOB_BUY], below - 1);
}

/* Next ask level strictly above a price. */
int32_t
ClobBookNextAsk(const ClobBook *book, int32_t above)
{
	return bits_next(book->bits[CLOB_SELL], book->sum[CLOB_SELL], above + 1);
}

/* Make a level's sentinel: an empty level of a side at a price. */
static void
level_init(ClobBook *book, int side, int32_t price)
{
	int32_t		node = ClobLevelNode(side, price);
	ClobLevel  *lv = &book->orders[node];

	lv->next = lv->prev = node;
	lv->size = 0;
}

/* Allocate the pool and the level sentinels (one block: levels, the node at -1, the pool). */
bool
ClobBookInit(ClobBook *book, int32_t capacity, int64_t min_size)
{
	int32_t		p;
	int			side;

	memset(book, 0, sizeof(*book));
	if (capacity < 16)
		capacity = 16;
	book->bids = PtMalloc(sizeof(ClobOrder) * ((size_t) CLOB_BOOK_NODES + (size_t) capacity));
	book->expiry = PtMalloc(sizeof(int64_t) * (size_t) capacity);
	if (book->bids == NULL || book->expiry == NULL)
	{
		ClobBookFree(book);
		return false;
	}
	memset(book->bids, 0, sizeof(ClobOrder) * CLOB_BOOK_NODES);
	book->asks = book->bids + CLOB_PRICE_SCALE + 1;
	book->orders = book->bids + CLOB_BOOK_NODES;
	book->levels[CLOB_BUY] = book->bids;
	book->levels[CLOB_SELL] = book->asks;
	book->capacity = capacity;
	book->min_size = min_size;
	/* Every level starts empty; ClobBookReset then only empties occupied ones. */
	for (side = 0; side < 2; side++)
		for (p = 0; p <= CLOB_PRICE_SCALE; p++)
		{
			book->levels[side][p].price = p;
			book->levels[side][p].side = (uint8_t) side;
			level_init(book, side, p);
		}
	ClobBookReset(book);
	return true;
}

/* Empty the book: the pool, and the levels the bitmaps mark occupied. */
void
ClobBookReset(ClobBook *book)
{
	int32_t		i;
	int			side;
	int			w;

	for (i = 0; i < book->capacity; i++)
	{
		book->orders[i].next = i + 1 < book->capacity ? i + 1 : -1;
		book->orders[i].live = 0;
	}
	book->free_head = 0;
	book->best_bid = -1;
	book->best_ask = CLOB_ASK_NONE;
	book->phase = CLOB_PHASE_OPEN;
	book->n_expired = 0;
	for (side = 0; side < 2; side++)
	{
		for (w = 0; w < CLOB_BOOK_WORDS; w++)
		{
			uint64_t	m = book->bits[side][w];

			while (m != 0)
			{
				level_init(book, side, w * 64 + __builtin_ctzll(m));
				m &= m - 1;
			}
		}
	}
	memset(book->bits, 0, sizeof(book->bits));
	memset(book->sum, 0, sizeof(book->sum));
}

/* Free the book's memory. */
void
ClobBookFree(ClobBook *book)
{
	PtFree(book->bids);
	PtFree(book->expiry);
	book->orders = NULL;
	book->expiry = NULL;
	book->bids = NULL;
	book->asks = NULL;
	book->levels[CLOB_BUY] = book->levels[CLOB_SELL] = NULL;
	book->capacity = 0;
}

/* Unlink a resting order and return its slot to the pool. */
void
ClobBookRemove(ClobBook *book, int32_t index)
{
	book_unlink(book, index);
}

/* Liquidity available to a taker up to its limit (for FOK). */
static int64_t
available_to(const ClobBook *book, uint8_t side, int32_t limit, int64_t need)
{
	int64_t		total = 0;
	int32_t		p;

	if (side == CLOB_BUY)
	{
		for (p = book->best_ask; p <= limit && p <= CLOB_PRICE_SCALE && total < need;
			 p = bits_next(book->bits[CLOB_SELL], book->sum[CLOB_SELL], p + 1))
			total += book->asks[p].size;
	}
	else
	{
		for (p = book->best_bid; p >= limit && p >= 0 && total < need;
			 p = bits_prev(book->bits[CLOB_BUY], book->sum[CLOB_BUY], p - 1))
			total += book->bids[p].size;
	}
	return total;
}

/* Take liquidity from one level in FIFO order; returns what is left to fill. */
static inline __attribute__((always_inline)) int64_t
take_level(ClobBook *book, int32_t level, int64_t remaining, const ClobOrderReq *req,
		   uint8_t side, int64_t now_us, ClobSubmitResult *res)
{
	ClobLevel  *lv = &book->orders[level];
	int32_t		idx = lv->next;

	while (idx != level && remaining > 0)
	{
		ClobOrder  *o = &book->orders[idx];
		int32_t		next = o->next;
		int64_t		f;
		ClobFill	fill;

		if (o->expires && book->expiry[idx] <= now_us)
		{
			book->n_expired++;
			book_unlink_side(book, idx, !side);
			idx = next;
			continue;
		}
		f = o->size < remaining ? o->size : remaining;
		o->size -= f;
		lv->size -= f;
		remaining -= f;
		res->filled += f;
		res->notional += (int64_t) o->price * f / CLOB_PRICE_SCALE;
		res->n_fills++;
		fill.maker = o;
		fill.maker_index = idx;
		fill.maker_done = o->size == 0;
		fill.taker_owner = req->owner;
		fill.taker_ref = req->ref;
		fill.taker_side = side;
		fill.price = o->price;
		fill.size = f;
		if (fill.maker_done)
			book_unlink_side(book, idx, !side);	/* a maker rests on the other side */
		if (book->on_fill != NULL)
			book->on_fill(book->fill_arg, &fill);
		idx = next;
	}
	return remaining;
}

/* Submit one order. */
void
ClobBookSubmit(ClobBook *book, const ClobOrderReq *req, int64_t now_us, ClobSubmitResult *res)
{
	uint8_t		side = req->side != CLOB_BUY;	/* 0 or 1: it indexes the sides */
	int32_t		price = req->price;
	int64_t		remaining = req->size;
	int64_t		expire = CLOB_NO_EXPIRY;
	ClobReject	r;

	res->reject = CLOB_OK;
	res->filled = 0;
	res->notional = 0;
	res->resting = -1;
	res->n_fills = 0;

	if (book->phase == CLOB_PHASE_CLOSED)
	{
		res->reject = CLOB_REJ_MARKET_CLOSED;
		return;
	}
	if (book->phase == CLOB_PHASE_RESTART)
	{
		res->reject = CLOB_REJ_ENGINE_RESTART;
		return;
	}
	if (req->post_only && (req->type == CLOB_FOK || req->type == CLOB_FAK))
	{
		res->reject = CLOB_REJ_POST_ONLY_TYPE;
		return;
	}
	if (book->phase == CLOB_PHASE_POST_ONLY && !req->post_only)
	{
		res->reject = CLOB_REJ_RESTART_POST_ONLY;
		return;
	}
	r = ClobPriceCheck(price);
	if (r != CLOB_OK)
	{
		res->reject = r;
		return;
	}
	if (remaining <= 0 || remaining % CLOB_SIZE_QUANTUM != 0)
	{
		res->reject = CLOB_REJ_INVALID_SIZE;
		return;
	}
	if (remaining < book->min_size)
	{
		res->reject = CLOB_REJ_MIN_SIZE;
		return;
	}
	if (req->type == CLOB_GTD)
	{
		expire = req->expire_us - CLOB_GTD_EARLY_US;
		if (expire <= now_us)
		{
			res->reject = CLOB_REJ_GTD_EXPIRED;
			return;
		}
	}
	if (req->token == CLOB_NO)
	{
		side = side == CLOB_BUY ? CLOB_SELL : CLOB_BUY;
		price = CLOB_PRICE_SCALE - price;
	}
	if (req->post_only &&
		(side == CLOB_BUY ? book->best_ask <= price : book->best_bid >= price))
	{
		res->reject = CLOB_REJ_POST_ONLY_CROSS;
		return;
	}
	if ((req->type == CLOB_GTC || req->type == CLOB_GTD) && book->free_head < 0)
	{
		res->reject = CLOB_REJ_BOOK_FULL;
		return;
	}
	if (req->type == CLOB_FOK && available_to(book, side, price, remaining) < remaining)
	{
		res->reject = CLOB_REJ_FOK_UNFILLED;
		return;
	}

	if (side == CLOB_BUY)
	{
		while (remaining > 0 && book->best_ask <= price)
		{
			int32_t		p = book->best_ask;

			remaining = take_level(book, ClobLevelNode(CLOB_SELL, p), remaining, req, CLOB_BUY,
								   now_us, res);
		}
	}
	else
	{
		while (remaining > 0 && book->best_bid >= price)
		{
			int32_t		p = book->best_bid;

			remaining = take_level(book, ClobLevelNode(CLOB_BUY, p), remaining, req, CLOB_SELL,
								   now_us, res);
		}
	}

	if (remaining > 0 && (req->type == CLOB_GTC || req->type == CLOB_GTD))
	{
		if (book->free_head < 0)
			res->reject = CLOB_REJ_BOOK_FULL;	/* the fills stand */
		else if (side == CLOB_BUY)
			res->resting = book_rest(book, CLOB_BUY, price, remaining, expire, req->owner,
									 req->ref);
		else
			res->resting = book_rest(book, CLOB_SELL, price, remaining, expire, req->owner,
									 req->ref);
	}
}

/*
 * A post-only GTC order of an owner that only ever adds liquidity (the
 * tape's background makers): the same outcome as ClobBookSubmit for such an
 * order, without the checks that cannot apply to it.  Returns the pool index
 * of the resting order, or -1 when it is refused (phase, tick, size, it
 * would cross, the book is full).
 */
int32_t
ClobBookAddPassive(ClobBook *book, uint8_t side, int32_t price, int64_t size, uint8_t owner,
				   int32_t ref)
{
	return book_add_passive(book, side != CLOB_BUY, price, size, owner, ref);
}

/* Cancel a resting order. */
ClobReject
ClobBookCancel(ClobBook *book, int32_t index)
{
	if (book->phase == CLOB_PHASE_RESTART)
		return CLOB_REJ_ENGINE_RESTART;
	if (index < 0 || index >= book->capacity || !book->orders[index].live)
		return CLOB_REJ_UNKNOWN_ORDER;
	book_unlink(book, index);
	return CLOB_OK;
}

/*
 * Cancel an order by pool index only if it still is the one placed with
 * this owner and reference (a slot is reused once its order left): the
 * tape's cancels, whose index may be -1 (the order was refused).
 */
ClobReject
ClobBookCancelOwned(ClobBook *book, int32_t index, uint8_t owner, int32_t ref)
{
	return book_cancel_owned(book, index, owner, ref);
}

/* Count the live orders of the pool. */
int32_t
ClobBookLive(const ClobBook *book)
{
	int32_t		n = 0;
	int32_t		i;

	for (i = 0; i < book->capacity; i++)
		n += book->orders[i].live;
	return n;
}

/* Resting size at a price. */
int64_t
ClobBookDepthAt(const ClobBook *book, ClobSide side, int32_t price)
{
	if (price < 0 || price > CLOB_PRICE_SCALE)
		return 0;
	return side == CLOB_BUY ? book->bids[price].size : book->asks[price].size;
}
