/* The lane kernel of xornet.engines._native_lanes, as a template: Python's formatting
   fills in the lines for one shape and choice where the template names them (see source()), and
   names the rows of the block buffer B and the numbers of xornet.engines._layout with
   #defines before the settle function. */

/* ---- Vector arithmetic, as xornet.engines._lanes and _exp compute it lane by lane: each
   vd is WIDTH doubles, one a network; a comparison gives a vi mask (-1 or 0 a lane). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define WIDTH %(width)d
typedef double vd __attribute__((vector_size(8 * WIDTH)));
typedef int64_t vi __attribute__((vector_size(8 * WIDTH)));
typedef uint64_t vu __attribute__((vector_size(8 * WIDTH)));

static inline vd splat(double x) { vd r; for (int i = 0; i < WIDTH; i++) r[i] = x; return r; }
static inline vd load(const double *p) { vd r; memcpy(&r, p, sizeof r); return r; }
static inline void store(double *p, vd x) { memcpy(p, &x, sizeof x); }
/* 1.0 where a comparison held, 0.0 elsewhere: Python's 1.0 * (a < b). */
static inline vd as01(vi m) { return (vd)(m & (vi)splat(1.0)); }
/* a where the mask m is set, b elsewhere: Python's a if m else b, lane by lane. */
static inline vd blend(vi m, vd a, vd b) { return (vd)((m & (vi)a) | (~m & (vi)b)); }
/* Python's max and min, as numba writes them: the first unless the second is beyond it. */
static inline vd py_max(vd a, vd b) { return blend(b > a, b, a); }
static inline vd py_min(vd a, vd b) { return blend(b < a, b, a); }
static inline double scalar_max(double a, double b) { return b > a ? b : a; }
static inline vd vabs(vd a) { return (vd)((vi)a & ~(vi)splat(-0.0)); }
static inline vd copysign_v(vd x, vd s) {
  vi sign = (vi)splat(-0.0);
  return (vd)(((vi)x & ~sign) | ((vi)s & sign));
}
static inline double total(vd a) {
  double s = 0.0;
  for (int i = 0; i < WIDTH; i++) s += a[i];
  return s;
}
static inline vd sqrt_v(vd a) {
  vd r;
  for (int i = 0; i < WIDTH; i++) r[i] = sqrt(a[i]);
  return r;
}

static const double EXP_C[12] = {%(exp_c)s};

/* 2^k for the integer-valued k in the low bits of t = k + ROUND (_exp._split); unsigned, so
   that the shift is defined for every k (k >= -1010 here, x being at least -700). */
static inline vd two_to(vd t) {
  vu k = (vu)t - (vu)splat(%(round)r);
  return (vd)((k + 1023) << 52);
}

/* _exp.exp_nonpos_horner: e^x for x <= 0, the polynomial in Horner's form. */
static inline vd exp_nonpos_horner(vd x) {
  x = py_max(x, splat(-700.0));
  vd t = x * %(log2e)r + %(round)r;
  vd k = t - %(round)r;
  vd r = (x - k * %(ln2_hi)r) - k * %(ln2_lo)r;
  vd p = EXP_C[10] + EXP_C[11] * r;
  for (int c = 9; c >= 0; c--) p = EXP_C[c] + p * r;
  return p * two_to(t);
}

/* _exp.exp_nonpos: the same polynomial in Estrin's form (tanh's). */
static inline vd exp_nonpos(vd x) {
  const double *c = EXP_C;
  x = py_max(x, splat(-700.0));
  vd t = x * %(log2e)r + %(round)r;
  vd k = t - %(round)r;
  vd r = (x - k * %(ln2_hi)r) - k * %(ln2_lo)r;
  vd r2 = r * r, r4 = r2 * r2;
  vd q0 = c[0] + c[1] * r, q1 = c[2] + c[3] * r, q2 = c[4] + c[5] * r;
  vd q3 = c[6] + c[7] * r, q4 = c[8] + c[9] * r, q5 = c[10] + c[11] * r;
  vd p = (q0 + r2 * q1) + r4 * ((q2 + r2 * q3) + r4 * (q4 + r2 * q5));
  return p * two_to(t);
}

/* _lanes.sigmoid_from: r for z >= 0, e r below, the choice as arithmetic. */
static inline vd sigmoid_from(vd z, vd e, vd r) {
  vd neg = 0.5 * (1.0 - copysign_v(splat(1.0), z));
  return (neg * e + (1.0 - neg)) * r;
}

/* _lanes.expm1_small: e^t - 1 for -1 <= t <= 0, Taylor to degree 18 in Estrin's form. */
static inline vd expm1_small(vd t) {
  vd t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
  vd a0 = (1.0 + t * (1.0 / 2.0)) + t2 * (1.0 / 6.0 + t * (1.0 / 24.0));
  vd a1 = (1.0 / 120.0 + t * (1.0 / 720.0)) + t2 * (1.0 / 5040.0 + t * (1.0 / 40320.0));
  vd a2 = (1.0 / 362880.0 + t * (1.0 / 3628800.0))
          + t2 * (1.0 / 39916800.0 + t * (1.0 / 479001600.0));
  vd a3 = (1.0 / 6227020800.0 + t * (1.0 / 87178291200.0))
          + t2 * (1.0 / 1307674368000.0 + t * (1.0 / 20922789888000.0));
  vd a4 = (1.0 / 355687428096000.0 + t * (1.0 / 6402373705728000.0))
          + t2 * (1.0 / 121645100408832000.0);
  return t * (((a0 + t4 * a1) + t8 * (a2 + t4 * a3)) + (t8 * t8) * a4);
}

/* _lanes.tanh_v: tanh from exp, or from expm1 below |z| = TANH_SPLIT. */
static inline vd tanh_v(vd z) {
  vd a = vabs(z);
  vd e = exp_nonpos(-2.0 * a);
  vd m = expm1_small(-2.0 * py_min(a, splat(%(tanh_split)r)));
  vd r = blend(a < %(tanh_split)r, -m / (2.0 + m), (1.0 - e) / (1.0 + e));
  return copysign_v(r, z);
}

%(int_power)s
/* _kernels.log1p_exp: log(1 + e^z) without overflow. */
static inline double log1p_exp(double z) {
  if (z == 0.0) return log(2.0);
  if (z > 0.0) return z + log1p(exp(-z));
  return log1p(exp(z));
}

/* ---- _lanes.settle: the evaluation of step s, lane by lane, for a block of `lanes`
   networks from network `lo` (on the rare steps with an event); the per-lane numbers in
   arrays of `lanes`, the logits z2 as n rows of them. */
%(names)s
static void settle(int64_t s, int64_t lo, int64_t lanes, int64_t n, const double *y,
                   const double *z2, const double *low, const double *finite,
                   const double *correct, double *active, double *unsolved, double *seeking,
                   const double *fs, const int64_t *ints, int64_t *stop, int64_t *step,
                   int64_t *first_correct, int64_t *first_target) {
  int sse = ints[LOSS] == SSE;
  int use_tol = ints[USE_TOL] == 1, use_target = ints[USE_TARGET] == 1;
  int stop_correct = ints[STOP_CORRECT] == 1;
  double tol = fs[TOL], target = fs[TARGET];
  double tol_level = use_tol ? tol : -1.0;
  for (int64_t q = 0; q < lanes; q++) {
    if (active[q] == 0.0) continue;
    int64_t net = lo + q;
    if (finite[q] == 0.0) {
      stop[net] = DIVERGED; step[net] = s; active[q] = 0.0;
      continue;
    }
    double loss = INFINITY;
    int seek_target = use_target && first_target[net] < 0;
    if (use_tol || seek_target) {
      double bound = scalar_max(tol_level, seek_target ? target : -1.0);
      if (sse) {
        loss = low[q];
      } else if (low[q] / n <= bound * (1.0 + 1e-12)) {
        loss = 0.0;
        for (int64_t r = 0; r < n; r++) {
          loss += log1p_exp((1.0 - 2.0 * y[r]) * z2[r * lanes + q]);
        }
        loss /= n;
      }
    }
    int is_correct = correct[q] == 1.0;
    if (is_correct && first_correct[net] < 0) { first_correct[net] = s; unsolved[q] = 0.0; }
    if (use_target && loss <= target && first_target[net] < 0) {
      first_target[net] = s; seeking[q] = 0.0;
    }
    if (use_tol && loss <= tol) {
      stop[net] = TOLERANCE; step[net] = s; active[q] = 0.0;
    } else if (stop_correct && is_correct) {
      stop[net] = ALL_CORRECT; step[net] = s; active[q] = 0.0;
    }
  }
}

/* ---- The loop around the step, numba's (_written.source) over the networks' lane groups;
   the step and the lines for the shape come in where the template names them. */
void run_written(const double *X, const double *y, double *T, double *V, const double *lr,
                 const double *fs, const int64_t *ints, int64_t N, int64_t start_step,
                 int64_t stop_step, int64_t *step, int64_t *stop, int64_t *first_correct,
                 int64_t *first_target) {
  const double mu = fs[MU], beta1 = fs[BETA1], beta2 = fs[BETA2], eps = fs[EPS];
  const int64_t nesterov = ints[NESTEROV] == 1;
  const double target = fs[TARGET], margin = fs[MARGIN];
  const double tol_level = ints[USE_TOL] == 1 ? fs[TOL] : -1.0;  /* no loss reaches -1 */
  const int use_target = ints[USE_TARGET] == 1;
%(data)s
  /* A block: GROUPS groups of WIDTH networks, each row of B a vector of a group's numbers. */
  vd B[GROUPS][N_ROWS];
  double lane_z2[N_SAMPLES * GROUP], lane_low[GROUP], lane_finite[GROUP], lane_correct[GROUP];
  double lane_active[GROUP], lane_unsolved[GROUP], lane_seeking[GROUP];
  for (int64_t lo = 0; lo < N; lo += GROUP) {
    for (int grp = 0; grp < GROUPS; grp++) {
      const int64_t net = lo + grp * WIDTH;
%(load)s
      B[grp][LR] = load(&lr[net]);
      for (int i = 0; i < WIDTH; i++) {  /* _lanes.lane_flags */
        B[grp][ACTIVE][i] = stop[net + i] == RUNNING ? 1.0 : 0.0;
        B[grp][UNSOLVED][i] = first_correct[net + i] < 0 ? 1.0 : 0.0;
        B[grp][SEEKING][i] = use_target && first_target[net + i] < 0 ? 1.0 : 0.0;
      }
      B[grp][RERUN] = B[grp][SPOILED] = splat(0.0);
    }
    double running = 0.0;
    for (int grp = 0; grp < GROUPS; grp++) running += total(B[grp][ACTIVE]);
    for (int64_t s = start_step; s < stop_step && running != 0.0; s++) {
%(adam)s
      vd bad_v = splat(0.0);
      double first = 1.0;  /* the first pass; a second updates the lanes that had events */
      for (int pass = 0; pass < 2; pass++) {
        vd events_v = splat(0.0);
        for (int grp = 0; grp < GROUPS; grp++) {
%(declared)s
%(step)s
        }
        if (first == 0.0 || total(events_v) == 0.0) break;
        /* Some lane has something to record or a rule to check: the evaluation, lane by
           lane; those still running take this step's update in a second pass. */
        for (int grp = 0; grp < GROUPS; grp++) {
          B[grp][RERUN] = B[grp][ACTIVE] * B[grp][EVENT];
          for (int i = 0; i < WIDTH; i++) {
            const int q = grp * WIDTH + i;
            for (int r = 0; r < N_SAMPLES; r++) lane_z2[r * GROUP + q] = B[grp][Z2 + r][i];
            lane_low[q] = B[grp][LOW][i];
            lane_finite[q] = B[grp][FINITE][i];
            lane_correct[q] = B[grp][CORRECT][i];
            lane_active[q] = B[grp][ACTIVE][i];
            lane_unsolved[q] = B[grp][UNSOLVED][i];
            lane_seeking[q] = B[grp][SEEKING][i];
          }
        }
        settle(s, lo, GROUP, N_SAMPLES, y, lane_z2, lane_low, lane_finite, lane_correct,
               lane_active, lane_unsolved, lane_seeking, fs, ints, stop, step, first_correct,
               first_target);
        for (int grp = 0; grp < GROUPS; grp++) {
          for (int i = 0; i < WIDTH; i++) {
            const int q = grp * WIDTH + i;
            B[grp][ACTIVE][i] = lane_active[q];
            B[grp][UNSOLVED][i] = lane_unsolved[q];
            B[grp][SEEKING][i] = lane_seeking[q];
          }
          B[grp][RERUN] *= B[grp][ACTIVE];
        }
        first = 0.0;
      }
      const double bad = total(bad_v);
      if (bad > 0.0) {  /* an update overflowed: the reference calls it divergence */
        for (int grp = 0; grp < GROUPS; grp++) {
          for (int i = 0; i < WIDTH; i++) {
            if (B[grp][ACTIVE][i] == 1.0 && B[grp][SPOILED][i] > 0.0) {
              const int64_t net = lo + grp * WIDTH + i;
              stop[net] = DIVERGED; step[net] = s; B[grp][ACTIVE][i] = 0.0;
            }
          }
        }
      }
      if (first == 0.0 || bad > 0.0) {
        running = 0.0;
        for (int grp = 0; grp < GROUPS; grp++) running += total(B[grp][ACTIVE]);
      }
    }
    for (int grp = 0; grp < GROUPS; grp++) {  /* _lanes.store_block */
      const int64_t net = lo + grp * WIDTH;
      for (int i = 0; i < WIDTH; i++) {
        if (B[grp][ACTIVE][i] == 1.0) step[net + i] = stop_step;
      }
%(keep)s
    }
  }
}
