/*
 * clob_book_ops.h — the book's hot steps, inline for clob_book.c and for the
 * tape's replay in clob_sim.c (a tape event then costs no call): the level
 * bitmaps, resting and unlinking an order, and the tape's add and cancel.
 * Internal to src/clob.
 */
#ifndef PTOPT_CLOB_BOOK_OPS_H
#define PTOPT_CLOB_BOOK_OPS_H

#include "clob_book.h"

#define CLOB_ASK_NONE (CLOB_PRICE_SCALE + 1)	/* best_ask of an empty ask side */

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

/* Lowest occupied level >= p, or CLOB_ASK_NONE. */
static inline int32_t
bits_next(const uint64_t *bits, const uint64_t *sum, int32_t p)
{
	int			w;
	int			s;
	uint64_t	m;

	if (p > CLOB_PRICE_SCALE)
		return CLOB_ASK_NONE;
	if (p < 0)
		p = 0;
	w = p >> 6;
	m = bits[w] & (~UINT64_C(0) << (p & 63));
	if (m != 0)
		return w * 64 + __builtin_ctzll(m);
	/* The next non-zero word after w, from the summary. */
	if (++w >= CLOB_BOOK_WORDS)
		return CLOB_ASK_NONE;
	s = w >> 6;
	m = sum[s] & (~UINT64_C(0) << (w & 63));
	while (m == 0)
	{
		if (++s >= CLOB_BOOK_SUMMARY)
			return CLOB_ASK_NONE;
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

/* The level of a side (0 or 1) at a YES price. */
static inline ClobLevel *
book_level(const ClobBook *book, int side, int32_t price)
{
	return book->levels[side] + price;
}

/* A level emptied: clear its bit; when it held its side's best price, find the next one. */
static inline __attribute__((always_inline)) void
book_level_emptied(ClobBook *book, int side, int32_t price)
{
	bit_clear(book->bits[side], book->sum[side], price);
	if (book->best[side] == price)
	{
		if (side == CLOB_BUY)
			book->best_bid = bits_prev(book->bits[CLOB_BUY], book->sum[CLOB_BUY], price - 1);
		else
			book->best_ask = bits_next(book->bits[CLOB_SELL], book->sum[CLOB_SELL], price + 1);
	}
}

/* Unlink an order of side 0 or 1 from its level, keep the best prices, free its slot. */
static inline __attribute__((always_inline)) void
book_unlink_side(ClobBook *book, int32_t index, int side)
{
	ClobOrder  *nodes = book->orders;
	ClobOrder  *o = &nodes[index];
	int32_t		price = o->price;
	int32_t		prev = o->prev;
	int32_t		next = o->next;

	nodes[ClobLevelNode(side, price)].size -= o->size;
	nodes[next].prev = prev;
	nodes[prev].next = next;
	o->live = 0;
	o->next = book->free_head;
	book->free_head = index;
	/* Both neighbours are the sentinel only when the level emptied. */
	if (prev == next)
		book_level_emptied(book, side, price);
}

/* Unlink an order from its level, keep the best prices, return its slot to the pool. */
static inline __attribute__((always_inline)) void
book_unlink(ClobBook *book, int32_t index)
{
	book_unlink_side(book, index, book->orders[index].side);
}

/* Append an order (side 0 or 1) at the tail of its level; the pool must have room. */
static inline __attribute__((always_inline)) int32_t
book_rest(ClobBook *book, int side, int32_t price, int64_t size, int64_t expire_us,
		  uint8_t owner, int32_t ref)
{
	ClobOrder  *nodes = book->orders;
	int32_t		idx = book->free_head;
	ClobOrder  *o = &nodes[idx];
	int32_t		level = ClobLevelNode(side, price);
	ClobLevel  *lv = &nodes[level];
	int32_t		tail = lv->prev;

	book->free_head = o->next;
	o->size = size;
	o->price = price;
	o->prev = tail;
	o->ref = ref;
	o->side = (uint8_t) side;
	o->owner = owner;
	o->live = 1;
	o->expires = expire_us != CLOB_NO_EXPIRY;
	if (o->expires)
		book->expiry[idx] = expire_us;
	nodes[tail].next = idx;
	o->next = level;			/* after the store above: GCC then keeps plain stores */
	lv->prev = idx;
	lv->size += size;
	if (tail == level)
	{
		/*
		 * A new level: only it can improve its side's best price, a bid by
		 * being higher, an ask lower (higher with the bits flipped).
		 */
		int32_t		sell = -(int32_t) side;	/* 0 for a BUY, all ones for a SELL */
		int32_t		best = book->best[side];

		bit_set(book->bits[side], book->sum[side], price);
		book->best[side] = (price ^ sell) > (best ^ sell) ? price : best;
	}
	return idx;
}

/* ClobBookAddPassive, inline, for a side that is 0 or 1 (a ClobSide, as the tape's are). */
static inline __attribute__((always_inline)) int32_t
book_add_passive(ClobBook *book, int s, int32_t price, int64_t size, uint8_t owner, int32_t ref)
{
	int32_t		sell;
	int32_t		gap;

	if (book->phase == CLOB_PHASE_CLOSED || book->phase == CLOB_PHASE_RESTART)
		return -1;
	/* On the grid: ClobTickOk is 0 outside the bounds too. */
	if ((uint32_t) price > CLOB_PRICE_SCALE || !ClobTickOk[price] || size < book->min_size || size <= 0 ||
		size % CLOB_SIZE_QUANTUM != 0)
		return -1;
	if (book->free_head < 0)
		return -1;
	/*
	 * Post-only: a BUY must stay below the best ask (gap = ask - price > 0),
	 * a SELL above the best bid (gap = bid - price < 0, so ~gap >= 0).
	 * Without a branch on the side: flip gap's bits for a SELL.
	 */
	sell = -(int32_t) s;
	gap = book->best[!s] - price;
	if ((gap ^ sell) <= sell)
		return -1;
	return book_rest(book, s, price, size, CLOB_NO_EXPIRY, owner, ref);
}

/* ClobBookCancelOwned, inline. */
static inline __attribute__((always_inline)) ClobReject
book_cancel_owned(ClobBook *book, int32_t index, uint8_t owner, int32_t ref)
{
	const ClobOrder *o;

	if (book->phase == CLOB_PHASE_RESTART)
		return CLOB_REJ_ENGINE_RESTART;
	/* Index -1 (nothing rested) reads the node at -1, which is never live. */
	if ((uint32_t) index + 1 > (uint32_t) book->capacity)
		return CLOB_REJ_UNKNOWN_ORDER;
	o = &book->orders[index];
	if (!o->live || o->owner != owner || o->ref != ref)
		return CLOB_REJ_UNKNOWN_ORDER;
	book_unlink(book, index);
	return CLOB_OK;
}

#endif							/* PTOPT_CLOB_BOOK_OPS_H */
