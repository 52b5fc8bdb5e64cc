/*
 * clob_ticks.c — the price grid as tables, one entry per price unit 0..1:
 * whether a price is on the grid, and its floor and ceiling on the grid.
 * The entries are constant expressions of the grid's rules (fine ticks of
 * 0.001 below 0.04 and above 0.96, 0.01 between, bounds [0.001, 0.999]),
 * written once here and expanded by the preprocessor, so ClobPriceCheck,
 * ClobPriceFloor and ClobPriceCeil cost a load; test_clob_book checks every
 * entry against the rules computed directly.
 */
#include "clob_book.h"

/* The grid's rules at one price unit p (0 <= p <= CLOB_PRICE_SCALE). */
#define FINE(p) ((p) < CLOB_FINE_BELOW || (p) > CLOB_FINE_ABOVE)
#define ON_GRID(p) ((p) >= CLOB_PRICE_MIN && (p) <= CLOB_PRICE_MAX && \
					((p) % CLOB_TICK_COARSE == 0 || ((p) % CLOB_TICK_FINE == 0 && FINE(p))))
#define FLOOR_IN(q) (FINE(q) ? (q) - (q) % CLOB_TICK_FINE : (q) - (q) % CLOB_TICK_COARSE)
#define FLOOR_AT(p) ((p) < CLOB_PRICE_MIN ? CLOB_PRICE_MIN : \
					 (p) > CLOB_PRICE_MAX ? CLOB_PRICE_MAX : FLOOR_IN(p))
#define UP_FINE(q) ((q) + CLOB_TICK_FINE - 1 - ((q) + CLOB_TICK_FINE - 1) % CLOB_TICK_FINE)
#define UP_COARSE(q) ((q) + CLOB_TICK_COARSE - 1 - ((q) + CLOB_TICK_COARSE - 1) % CLOB_TICK_COARSE)
#define CAP(x) ((x) > CLOB_PRICE_MAX ? CLOB_PRICE_MAX : (x))
/* Near the upper fine region: the fine ceiling, moved to a coarse tick outside it. */
#define CEIL_HIGH(f) CAP(!FINE(f) && (f) % CLOB_TICK_COARSE != 0 ? UP_COARSE(f) : (f))
#define CEIL_IN(q) ((q) < CLOB_FINE_BELOW ? UP_FINE(q) : \
					(q) <= CLOB_FINE_ABOVE - CLOB_TICK_COARSE ? UP_COARSE(q) : CEIL_HIGH(UP_FINE(q)))
#define CEIL_AT(p) ((p) > CLOB_PRICE_MAX ? CLOB_PRICE_MAX : \
					(p) < CLOB_PRICE_MIN ? CEIL_IN(CLOB_PRICE_MIN) : CEIL_IN(p))

/* Ten, a hundred, ... entries F(b) .. F(b + n - 1). */
#define T10(F, b) F((b) + 0), F((b) + 1), F((b) + 2), F((b) + 3), F((b) + 4), \
	F((b) + 5), F((b) + 6), F((b) + 7), F((b) + 8), F((b) + 9)
#define T100(F, b) T10(F, (b) + 0), T10(F, (b) + 10), T10(F, (b) + 20), T10(F, (b) + 30), \
	T10(F, (b) + 40), T10(F, (b) + 50), T10(F, (b) + 60), T10(F, (b) + 70), \
	T10(F, (b) + 80), T10(F, (b) + 90)
#define T1000(F, b) T100(F, (b) + 0), T100(F, (b) + 100), T100(F, (b) + 200), \
	T100(F, (b) + 300), T100(F, (b) + 400), T100(F, (b) + 500), T100(F, (b) + 600), \
	T100(F, (b) + 700), T100(F, (b) + 800), T100(F, (b) + 900)
#define T10000(F) T1000(F, 0), T1000(F, 1000), T1000(F, 2000), T1000(F, 3000), \
	T1000(F, 4000), T1000(F, 5000), T1000(F, 6000), T1000(F, 7000), T1000(F, 8000), \
	T1000(F, 9000), F(10000)

#if CLOB_PRICE_SCALE != 10000
#error "the tick tables are written for CLOB_PRICE_SCALE 10000"
#endif

const uint8_t ClobTickOk[CLOB_PRICE_SCALE + 1] = {T10000(ON_GRID)};
const int16_t ClobTickFloor[CLOB_PRICE_SCALE + 1] = {T10000(FLOOR_AT)};
const int16_t ClobTickCeil[CLOB_PRICE_SCALE + 1] = {T10000(CEIL_AT)};
