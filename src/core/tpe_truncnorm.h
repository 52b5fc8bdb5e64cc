/*
 * tpe_truncnorm.h — the truncated normal of Optuna 3.1's TPE (its _truncnorm.py).
 *
 * All functions work on standardised values: a and b are the truncation
 * bounds (low - mu) / sigma and (high - mu) / sigma, z = (x - mu) / sigma.
 * They follow Optuna 3.1 formula for formula, including its logpdf, which
 * leaves out the -log(sigma) term of a true density (see TpeTruncnormLogpdf).
 */
#ifndef PTOPT_TPE_TRUNCNORM_H
#define PTOPT_TPE_TRUNCNORM_H

/* log(sqrt(2 pi)), the normal density's constant. */
#define TPE_NORM_LOG_C 0.91893853320467274178

/* Standard normal CDF, 0.5 + 0.5 erf(a / sqrt 2) (Optuna's _ndtr). */
extern double TpeNdtr(double a);

/* log of the standard normal CDF, accurate in both tails (Optuna's _log_ndtr). */
extern double TpeLogNdtr(double a);

/* log of the standard normal mass of [a, b], a <= b (Optuna's _log_gauss_mass). */
extern double TpeLogGaussMass(double a, double b);

/*
 * Optuna 3.1's truncnorm.logpdf at standardised z for bounds [a, b]:
 * -z^2/2 - log sqrt(2 pi) - TpeLogGaussMass(a, b); -inf outside [a, b].
 * Like Optuna 3.1 it does not subtract log(sigma), so it is the density of
 * the standardised variable; kept so for equivalence with Optuna 3.1.
 */
extern double TpeTruncnormLogpdf(double z, double a, double b);

/* Inverse standard normal CDF at p, given also its complement pc = 1 - p. */
extern double TpeNdtri(double p, double pc);

/* The z whose log CDF is y (y <= 0) (Optuna's _ndtri_exp). */
extern double TpeNdtriExp(double y);

/* Quantile u in [0, 1] of the standard normal truncated to [a, b] (Optuna's ppf). */
extern double TpeTruncnormPpf(double u, double a, double b);

#endif							/* PTOPT_TPE_TRUNCNORM_H */
