/*
 * clob_book.c — the L3 book: validation, price-time matching, the V2 fee.
 */
#include <math.h>
#include <string.h>

#include "clob_book.h"
#include "pt_alloc.h"

#define ASK_NONE (CLOB_PRICE_SCALE + 1)

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

/* Mark a level occupied (and its bitmap word in the summary). */
static inline void
bit_set(uint64_t *bits, uint64_t *sum, int32_t p)
{
	int			w = p >> 6;

	bits[w] |= UINT64_C(1) << (p & 63);
	sum[w >> 6] |= UINT64_C(1) << (w & 63);
}

/* Mark a level empty (and its bitmap word, when that empties too). */
static inline void
bit_clear(uint64_t *bits, uint64_t *sum, int32_t p)
{
	int			w = p >> 6;

	if ((bits[w] &= ~(UINT64_C(1) << (p & 63))) == 0)
		sum[w >> 6] &= ~(UINT64_C(1) << (w & 63));
}

/* Lowest occupied level >= p, or ASK_NONE. */
static inline int32_t
bits_next(const uint64_t *bits, const uint64_t *sum, int32_t p)
{
	int			w;
	int			s;
	uint64_t	m;

	if (p > CLOB_PRICE_SCALE)
		return ASK_NONE;
	if (p < 0)
		p = 0;
	w = p >> 6;
	m = bits[w] & (~UINT64_C(0) << (p & 63));
	if (m != 0)
		return w * 64 + __builtin_ctzll(m);
	/* The next non-zero word after w, from the summary. */
	if (++w >= CLOB_BOOK_WORDS)
		return ASK_NONE;
	s = w >> 6;
	m = sum[s] & (~UINT64_C(0) << (w & 63));
	while (m == 0)
	{
		if (++s >= CLOB_BOOK_SUMMARY)
			return ASK_NONE;
		m = sum[s];
	}
	w = s * 64 + __builtin_ctzll(m);
	return w * 64 + __builtin_ctzll(bits[w]);
}

/* Highest occupied level <= p, or -1. */
static inline int32_t
bits_prev(const uint64_t *bits, const uint64_t *sum, int32_t p)
{
	int			w;
	int			s;
	uint64_t	m;

	if (p < 0)
		return -1;
	if (p > CLOB_PRICE_SCALE)
		p = CLOB_PRICE_SCALE;
	w = p >> 6;
	m = bits[w] & (~UINT64_C(0) >> (63 - (p & 63)));
	if (m != 0)
		return w * 64 + 63 - __builtin_clzll(m);
	/* The previous non-zero word before w, from the summary. */
	if (--w < 0)
		return -1;
	s = w >> 6;
	m = sum[s] & (~UINT64_C(0) >> (63 - (w & 63)));
	while (m == 0)
	{
		if (--s < 0)
			return -1;
		m = sum[s];
	}
	w = s * 64 + 63 - __builtin_clzll(m);
	return w * 64 + 63 - __builtin_clzll(bits[w]);
}

/* Next bid level strictly below a price. */
int32_t
ClobBookNextBid(const ClobBook *book, int32_t below)
{
	return bits_prev(book->bid_bits, book->bid_sum, below - 1);
}

/* Next ask level strictly above a price. */
int32_t
ClobBookNextAsk(const ClobBook *book, int32_t above)
{
	return bits_next(book->ask_bits, book->ask_sum, above + 1);
}

/* Allocate the pool and the level arrays. */
bool
ClobBookInit(ClobBook *book, int32_t capacity, int64_t min_size)
{
	memset(book, 0, sizeof(*book));
	if (capacity < 16)
		capacity = 16;
	book->orders = PtMalloc(sizeof(ClobOrder) * (size_t) capacity);
	book->expiry = PtMalloc(sizeof(int64_t) * (size_t) capacity);
	book->bids = PtMalloc(sizeof(ClobLevel) * (CLOB_PRICE_SCALE + 1));
	book->asks = PtMalloc(sizeof(ClobLevel) * (CLOB_PRICE_SCALE + 1));
	if (book->orders == NULL || book->expiry == NULL || book->bids == NULL || book->asks == NULL)
	{
		ClobBookFree(book);
		return false;
	}
	book->capacity = capacity;
	book->min_size = min_size;
	ClobBookReset(book);
	return true;
}

/* Empty the book. */
void
ClobBookReset(ClobBook *book)
{
	int32_t		i;

	for (i = 0; i < book->capacity; i++)
	{
		book->orders[i].next = i + 1 < book->capacity ? i + 1 : -1;
		book->orders[i].live = 0;
	}
	book->free_head = 0;
	book->n_live = 0;
	book->best_bid = -1;
	book->best_ask = ASK_NONE;
	book->phase = CLOB_PHASE_OPEN;
	book->n_expired = 0;
	for (i = 0; i <= CLOB_PRICE_SCALE; i++)
	{
		book->bids[i].head = book->bids[i].tail = -1;
		book->bids[i].size = 0;
		book->asks[i].head = book->asks[i].tail = -1;
		book->asks[i].size = 0;
	}
	memset(book->bid_bits, 0, sizeof(book->bid_bits));
	memset(book->ask_bits, 0, sizeof(book->ask_bits));
	memset(book->bid_sum, 0, sizeof(book->bid_sum));
	memset(book->ask_sum, 0, sizeof(book->ask_sum));
}

/* Free the book's memory. */
void
ClobBookFree(ClobBook *book)
{
	PtFree(book->orders);
	PtFree(book->expiry);
	PtFree(book->bids);
	PtFree(book->asks);
	book->orders = NULL;
	book->expiry = NULL;
	book->bids = NULL;
	book->asks = NULL;
	book->capacity = 0;
}

/* Unlink an order from its level and return its slot to the pool. */
void
ClobBookRemove(ClobBook *book, int32_t index)
{
	ClobOrder  *o = &book->orders[index];
	ClobLevel  *lv = o->side == CLOB_BUY ? &book->bids[o->price] : &book->asks[o->price];

	if (o->prev >= 0)
		book->orders[o->prev].next = o->next;
	else
		lv->head = o->next;
	if (o->next >= 0)
		book->orders[o->next].prev = o->prev;
	else
		lv->tail = o->prev;
	lv->size -= o->size;
	if (lv->head < 0)
	{
		if (o->side == CLOB_BUY)
		{
			bit_clear(book->bid_bits, book->bid_sum, o->price);
			if (book->best_bid == o->price)
				book->best_bid = bits_prev(book->bid_bits, book->bid_sum, o->price - 1);
		}
		else
		{
			bit_clear(book->ask_bits, book->ask_sum, o->price);
			if (book->best_ask == o->price)
				book->best_ask = bits_next(book->ask_bits, book->ask_sum, o->price + 1);
		}
	}
	o->live = 0;
	o->next = book->free_head;
	book->free_head = index;
	book->n_live--;
}

/* Append an order at the tail of its level. */
static int32_t
book_rest(ClobBook *book, uint8_t side, int32_t price, int64_t size, int64_t expire_us,
		  uint8_t owner, int32_t ref)
{
	int32_t		idx = book->free_head;
	ClobOrder  *o;
	ClobLevel  *lv;

	o = &book->orders[idx];
	book->free_head = o->next;
	book->n_live++;
	o->size = size;
	o->expires = expire_us != CLOB_NO_EXPIRY;
	if (o->expires)
		book->expiry[idx] = expire_us;
	o->price = price;
	o->side = side;
	o->owner = owner;
	o->ref = ref;
	o->live = 1;
	o->next = -1;
	if (side == CLOB_BUY)
	{
		lv = &book->bids[price];
		if (lv->head < 0)
			bit_set(book->bid_bits, book->bid_sum, price);
		if (price > book->best_bid)
			book->best_bid = price;
	}
	else
	{
		lv = &book->asks[price];
		if (lv->head < 0)
			bit_set(book->ask_bits, book->ask_sum, price);
		if (price < book->best_ask)
			book->best_ask = price;
	}
	o->prev = lv->tail;
	if (lv->tail >= 0)
		book->orders[lv->tail].next = idx;
	else
		lv->head = idx;
	lv->tail = idx;
	lv->size += size;
	return idx;
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
			 p = bits_next(book->ask_bits, book->ask_sum, p + 1))
			total += book->asks[p].size;
	}
	else
	{
		for (p = book->best_bid; p >= limit && p >= 0 && total < need;
			 p = bits_prev(book->bid_bits, book->bid_sum, p - 1))
			total += book->bids[p].size;
	}
	return total;
}

/* Take liquidity from one level in FIFO order; returns what is left to fill. */
static int64_t
take_level(ClobBook *book, ClobLevel *lv, int64_t remaining, const ClobOrderReq *req,
		   uint8_t side, int64_t now_us, ClobSubmitResult *res)
{
	int32_t		idx = lv->head;

	while (idx >= 0 && remaining > 0)
	{
		ClobOrder  *o = &book->orders[idx];
		int32_t		next = o->next;
		int64_t		f;
		ClobFill	fill;

		if (o->expires && book->expiry[idx] <= now_us)
		{
			book->n_expired++;
			ClobBookRemove(book, idx);
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
			ClobBookRemove(book, idx);
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
	uint8_t		side = req->side;
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

			remaining = take_level(book, &book->asks[p], remaining, req, side, now_us, res);
		}
	}
	else
	{
		while (remaining > 0 && book->best_bid >= price)
		{
			int32_t		p = book->best_bid;

			remaining = take_level(book, &book->bids[p], remaining, req, side, now_us, res);
		}
	}

	if (remaining > 0 && (req->type == CLOB_GTC || req->type == CLOB_GTD))
	{
		if (book->free_head < 0)
			res->reject = CLOB_REJ_BOOK_FULL;	/* the fills stand */
		else
			res->resting = book_rest(book, side, price, remaining, expire, req->owner,
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
	if (book->phase == CLOB_PHASE_CLOSED || book->phase == CLOB_PHASE_RESTART)
		return -1;
	if (ClobPriceCheck(price) != CLOB_OK || size <= 0 || size % CLOB_SIZE_QUANTUM != 0 ||
		size < book->min_size)
		return -1;
	if (side == CLOB_BUY ? book->best_ask <= price : book->best_bid >= price)
		return -1;
	if (book->free_head < 0)
		return -1;
	return book_rest(book, side, price, size, CLOB_NO_EXPIRY, owner, ref);
}

/* Cancel a resting order. */
ClobReject
ClobBookCancel(ClobBook *book, int32_t index)
{
	if (book->phase == CLOB_PHASE_RESTART)
		return CLOB_REJ_ENGINE_RESTART;
	if (index < 0 || index >= book->capacity || !book->orders[index].live)
		return CLOB_REJ_UNKNOWN_ORDER;
	ClobBookRemove(book, index);
	return CLOB_OK;
}

/* Resting size at a price. */
int64_t
ClobBookDepthAt(const ClobBook *book, ClobSide side, int32_t price)
{
	if (price < 0 || price > CLOB_PRICE_SCALE)
		return 0;
	return side == CLOB_BUY ? book->bids[price].size : book->asks[price].size;
}
