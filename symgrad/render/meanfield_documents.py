"""Document layouts of the random-weight results: mean field, critical line, samples."""

from __future__ import annotations

import math

import mpmath
import sympy

from symgrad.analysis.meanfield import CriticalLine, CriticalPoint, FixedPoint, MeanFieldResult
from symgrad.analysis.sampling import GradientSample
from symgrad.analysis.spectrum import GRID_DIGITS, Spectrum, share_on_grid
from symgrad.notation import (
    Distributed,
    Expectation,
    Factors,
    MapsTo,
    Normal,
    STransform,
    Terms,
    bias_variance,
    dsigma,
    fixed_variance,
    gain_chi,
    grad_a,
    gram,
    log10,
    sigma,
    slashed_ratio,
    slope,
    weight_variance,
)
from symgrad.numeric.real import decimal, exact_text
from symgrad.render.document import Document, Figure, Grid, Line, Section, document
from symgrad.render.prose import Prose, joined, paragraph, say

SAMPLE_DIGITS = 4  # digits of a sampled statistic (its noise is far larger than this)

SW2, SB2, QSTAR, CHI = weight_variance(), bias_variance(), fixed_variance(), gain_chi()
Q, Z, N_UNITS = (sympy.Symbol("q", nonnegative=True), sympy.Symbol("Z"),
                 sympy.Symbol("n", positive=True))
XI = sympy.Symbol("xi", positive=True)


def scaled_gaussian(q) -> sympy.Expr:
    """√q Z, a preactivation of variance q."""
    return Factors((sympy.sqrt(q), Z))


def _moment(function, q) -> sympy.Expr:
    """E[f(√q Z)²] for f = σ or σ'."""
    return Expectation(function(scaled_gaussian(q)) ** 2)


VARIANCE_MAP = say("Weights of variance {weights} and biases of variance {biases}: a wide "
                   "layer's preactivations are Gaussian, their variance following the map {map} "
                   "({law}).", weights=SW2 / N_UNITS, biases=SB2,
                   map=MapsTo(Q, Terms(Factors((SW2, _moment(sigma, Q))), SB2)),
                   law=Distributed(Z, Normal(0, 1)))
GAIN = say("Per layer the expected squared gradient is multiplied by {chi} at the fixed point "
           "{q}: below 1 it vanishes, above 1 it explodes, at 1 it is critical (the edge of "
           "chaos). {xi} is the depth over which it changes by a factor e.",
           chi=sympy.Eq(CHI, Factors((SW2, _moment(dsigma, QSTAR))), evaluate=False), q=QSTAR,
           xi=sympy.Eq(XI, 1 / sympy.Abs(sympy.log(CHI)), evaluate=False))


def fixed_point_words(point: FixedPoint, dps: int) -> Prose:
    if point.kind == "stable":
        return say("{q}: the variance settles there from {start}.",
                   q=sympy.Eq(QSTAR, sympy.Float(point.q, dps), evaluate=False),
                   start=sympy.Eq(Q, 1, evaluate=False))
    if point.kind == "collapses":
        return say("{q}: the variance decays to 0 ({bias} and {zero}), so {chi} is {gain}.",
                   q=sympy.Eq(QSTAR, 0, evaluate=False), bias=sympy.Eq(SB2, 0, evaluate=False),
                   zero=sympy.Eq(sigma(0), 0, evaluate=False), chi=CHI,
                   gain=Factors((SW2, dsigma(0) ** 2)))
    if point.kind == "identity":
        return say("Every {q} is fixed (the map is {map}): the variance keeps the input's, {one} "
                   "here; {chi} does not depend on {q}.", q=Q, map=MapsTo(Q, Q),
                   one=sympy.Eq(Q, 1, evaluate=False), chi=CHI)
    return say("No fixed point: the variance grows without bound, so {chi} is its limit as "
               "{q} tends to {infinity}, {limit}.", chi=CHI, q=Q, infinity=sympy.oo,
               limit=Factors((SW2, (dsigma(sympy.oo) ** 2 + dsigma(-sympy.oo) ** 2) / 2)))


@document.register
def _(result: MeanFieldResult) -> Document:
    digits, depth = result.dps, result.depth
    title = say(f"Mean field: {result.activation.name}, {{w}}, {{b}}, depth {depth}",
                w=sympy.Eq(SW2, result.sigma_w2, evaluate=False),
                b=sympy.Eq(SB2, result.sigma_b2, evaluate=False))
    scale = result.depth_scale
    grid = Grid(("quantity", "value"), (
        (say("{q}", q=QSTAR), "—" if result.fixed.q is None else decimal(result.fixed.q, digits)),
        (say("{chi}", chi=CHI), decimal(result.chi, digits)),
        ("regime", result.regime),
        (say("{xi}", xi=sympy.Eq(XI, 1 / sympy.Abs(sympy.log(CHI)), evaluate=False)),
         "inf" if mpmath.isinf(scale) else decimal(scale, digits)),
        (say("{power}", power=CHI ** depth), decimal(result.gradient_ratio, digits)),
        (say("{size}", size=log10(CHI ** depth)),
         _log10_text(result.log10_gradient_ratio, digits)),
    ))
    ratio = say(f"Over {depth} layers the expected squared gradient ratio {{ratio}} is {{power}}, "
                f"each number to {digits} digits.",
                ratio=slashed_ratio(Expectation(sympy.Abs(grad_a(0)) ** 2),
                                    sympy.Abs(grad_a(depth)) ** 2),
                power=CHI ** depth)
    return Document(title, [
        Section("Variance map", VARIANCE_MAP + " " + fixed_point_words(result.fixed, digits)),
        Section("Gradient gain", GAIN + " " + ratio, grid=grid),
    ], sympy.Integer(depth))


def _log10_text(value, digits: int) -> str:
    return "-inf" if mpmath.isinf(value) else decimal(value, min(digits, 15))


def critical_words(point: CriticalPoint) -> Prose:
    """Why a σ_b² has the critical point it has: a table cell."""
    one = sympy.Eq(CHI, 1, evaluate=False)
    if point.kind == "stable":
        return say("{one} at the stable fixed point {q}", one=one, q=QSTAR)
    if point.kind == "collapses":
        return say("{q}: {chi}, and the variance decays to 0", q=sympy.Eq(QSTAR, 0, evaluate=False),
                   chi=sympy.Eq(CHI, sympy.Eq(Factors((SW2, dsigma(0) ** 2)), 1, evaluate=False),
                                evaluate=False))
    if point.kind == "identity":
        return say("the map is {map}: every input variance is kept, {one} for all {q}",
                   map=MapsTo(Q, Q), one=one, q=Q)
    if point.kind == "diverges":
        return say("{one} for every {q}, but the variance grows without bound ({map})", one=one,
                   q=Q, map=MapsTo(Q, Terms(Q, SB2)))
    return say("no critical point: no {w} makes {one} at an attracting fixed point ({q} up to "
               "{most} searched)", w=SW2, one=one, q=QSTAR,
               most=sympy.Pow(10, 6, evaluate=False))


@document.register
def _(line: CriticalLine) -> Document:
    digits = line.dps
    rows = tuple((exact_text(p.sigma_b2, "text"), "—" if p.sigma_w2 is None else decimal(p.sigma_w2, digits),
                  "—" if p.q is None else decimal(p.q, digits), critical_words(p))
                 for p in line.points)
    words = say(f"The edge of chaos: for each {{bias}}, the {{weights}} at which {{chi}} at the "
                f"variance map's fixed point {{q}}, each to {digits} digits. With {{positive}} "
                "the two conditions together read {equation}, one equation in {qq}; then "
                "{solution}.", bias=SB2, weights=SW2,
                chi=sympy.Eq(CHI, sympy.Eq(Factors((SW2, _moment(dsigma, QSTAR))), 1,
                                           evaluate=False), evaluate=False),
                q=QSTAR, positive=sympy.StrictGreaterThan(QSTAR, 0), qq=Q,
                equation=sympy.Eq(Factors((Q - SB2, _moment(dsigma, Q))), _moment(sigma, Q),
                                  evaluate=False),
                solution=sympy.Eq(SW2, 1 / _moment(dsigma, Q), evaluate=False))
    title = f"Critical initialisation: {line.activation.name}"
    headers = tuple(say("{h}", h=h) for h in (SB2, SW2, QSTAR)) + ("why",)
    return Document(title, [Section("Critical line", words, grid=Grid(headers, rows))],
                    sympy.Symbol("L"))


@document.register
def _(sample: GradientSample) -> Document:
    shape = "scalar chains" if sample.width == 1 else f"matrix nets of width {sample.width}"
    title = say(f"Sampled gradients: {sample.samples} {sample.activation.name} {shape}, depth "
                f"{sample.depth}, {{w}}, {{b}}", w=sympy.Eq(SW2, sample.sigma_w2, evaluate=False),
                b=sympy.Eq(SB2, sample.sigma_b2, evaluate=False))
    h = sympy.Symbol("h")
    ratio = sympy.Eq(R, SAMPLE_RATIO, evaluate=False)
    setting = say(f"Seed {sample.seed}. Weights {{weights}}, biases {{biases}}; the input is a "
                  "layer's output at the fixed point ({output}, {law}); the gradient reaching "
                  "the output has a random direction. Each sample's ratio {ratio} is taken in "
                  f"log space in float64, entries float64 cannot hold in MPFR ({sample.rescued} "
                  "such {slope} values).", weights=Normal(0, SW2 / N_UNITS),
                  biases=Normal(0, SB2), output=sigma(h),
                  law=Distributed(h, Normal(0, sympy.Float(sample.input_variance, SAMPLE_DIGITS))),
                  ratio=ratio, slope=slope())
    stats = [(say("mean of {log}", log=log10(R)), _short(sample.mean)),
             ("standard deviation", _short(sample.std))]
    stats += [(f"quantile {p:g}", _short(v)) for p, v in sample.quantiles]
    stats += [(say("fraction in {range}", range=_TENFOLD), _short(sample.within_tenfold)),
              ("fraction exactly 0", _short(sample.zero_fraction))]
    prediction = sample.prediction
    error = sample.log10_mean_square_error
    compare = Grid(("", say("{log}", log=sympy.Symbol("log10"))), (
        (say("sampled mean of {square}", square=R**2), _short(sample.log10_mean_square)
         + ("" if math.isnan(error) else f" (± {_short(error)})")),
        (say("mean field {power}", power=CHI ** sample.depth),
         _log10_text(prediction.log10_gradient_ratio, SAMPLE_DIGITS)),
    ))
    counts, edges = sample.histogram
    centres = tuple(float((a + b) / 2) for a, b in zip(edges, edges[1:]))
    figure = Figure(centres, tuple(float(c) for c in counts), say("{log}", log=log10(R)),
                    "samples", "samples against log10 r",
                    say("The {count} samples by their {log}: the count in each bin.",
                        count=sample.samples, log=log10(R)), bars=True) if len(counts) else None
    chance = say("By chance, some products of {w} and {slope} are not extreme: the fraction in "
                 "{range} is how many nets kept their gradient within a factor of ten.",
                 w=sympy.Symbol("w"), slope=slope(), range=_TENFOLD)
    mean_field = say("Mean field predicts {prediction} with {chi} ({regime}); it describes wide "
                     "nets (for width 1 the layers are far from Gaussian). ± is one standard "
                     "error of the sampled mean.",
                     prediction=sympy.Eq(Expectation(R**2), CHI ** sample.depth, evaluate=False),
                     chi=sympy.Eq(CHI, sympy.Float(prediction.chi, 8), evaluate=False),
                     regime=prediction.regime)
    return Document(title, [
        Section("Setting", setting),
        Section(say("Distribution of {log}", log=log10(R)), chance,
                grid=Grid(("statistic", "value"), tuple(stats)), figure=figure),
        Section("Against mean field", mean_field, grid=compare),
    ], sympy.Integer(sample.depth))


R = sympy.Symbol("r", positive=True)  # a sample's ratio
SAMPLE_RATIO = slashed_ratio(sympy.Abs(grad_a(0)), sympy.Abs(grad_a(sympy.Symbol("L"))))
_TENFOLD = sympy.Interval(sympy.Rational(1, 10), 10)


def _short(value: float) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{value:.{SAMPLE_DIGITS}g}"


# --- the Jacobian's spectrum ---------------------------------------------------------------

LAMBDA, M_SYM, DEPTH = sympy.Symbol("lambda", positive=True), sympy.Symbol("m"), sympy.Symbol("L")
SPREAD = sympy.Symbol("sigma_J", positive=True) ** 2
FREE_PRODUCT = say(
    "At the fixed point every layer's preactivations are Gaussian of variance {q}, so "
    "{d} has the entries {slopes}; as the width grows the weight matrices and the {d} become "
    "free, and the S-transform of {jj} is the product of theirs: {product}, with {gaussian} "
    "for Gaussian weights (Marchenko–Pastur) and {orthogonal} for orthogonal ones "
    "(Pennington, Schoenholz & Ganguli 2017, 2018). The moments of {jj} (its eigenvalues "
    "are the squared singular values of J) follow by power series from {mu}.",
    q=QSTAR, d=sympy.Symbol("D_l"), slopes=dsigma(scaled_gaussian(QSTAR)),
    jj=gram("JJT"),
    product=sympy.Eq(STransform(gram("JJT"), M_SYM),
                     Factors((STransform(gram("D2"), M_SYM), STransform(gram("WWT"), M_SYM)))
                     ** DEPTH, evaluate=False),
    gaussian=sympy.Eq(STransform(gram("WWT"), M_SYM), 1 / (SW2 * (1 + M_SYM)), evaluate=False),
    orthogonal=sympy.Eq(STransform(gram("WWT"), M_SYM), 1 / SW2, evaluate=False),
    mu=sympy.Eq(sympy.Symbol("mu_k"), Expectation(dsigma(scaled_gaussian(QSTAR)) ** (2 * sympy.Symbol("k"))),
                evaluate=False))


def spectrum_number(value, digits: int) -> str:
    """A whole number exactly (relu's moments), any other number as a decimal, so that a
    table's column lines up on the point: exact where it ends (relu's mass at 0: 0.5),
    else to ``digits`` digits."""
    if isinstance(value, (int, sympy.Integer)):
        return exact_text(value, "text")
    return decimal(value, digits)


@document.register
def _(result: Spectrum) -> Document:
    digits, depth, field = result.dps, result.depth, result.mean_field
    title = say(f"Jacobian spectrum: {result.activation.name}, {{w}}, {{b}}, depth {depth}, "
                f"{WEIGHT_NAMES[result.weights]} weights",
                w=sympy.Eq(SW2, field.sigma_w2, evaluate=False),
                b=sympy.Eq(SB2, field.sigma_b2, evaluate=False))
    c = result.spread_per_layer
    rows = [
        (say("{q}", q=QSTAR), "—" if field.fixed.q is None else decimal(field.fixed.q, digits)),
        (say("{chi}", chi=CHI), decimal(field.chi, digits)),
        *((say("{m}", m=sympy.Symbol(f"m_{k}")), spectrum_number(m, digits))
          for k, m in enumerate(result.moments, start=1)),
        (say("{spread}", spread=sympy.Eq(SPREAD, sympy.Symbol("m_2") / sympy.Symbol("m_1") ** 2 - 1,
                                         evaluate=False)), spectrum_number(result.variance, digits)),
        ("spread per layer", spectrum_number(c, digits)),
        ("largest squared singular value" + (", at most" if depth in result.bounded_edges
                                             else ""), decimal(result.right_edge, digits)),
        ("mass at 0", spectrum_number(result.atom_at_zero, digits)),
    ]
    if result.isometric_depth is not None and result.isometric_depth >= 1:  # (relu Gaussian:
        # 1/2, past at the first layer already)
        rows.append((say("depth where {spread} reaches 1", spread=SPREAD),
                     spectrum_number(result.isometric_depth, digits)))
    spread = say(f"The spread grows by the same amount in every layer: {{formula}}, with "
                 f"{{s1}} for {WEIGHT_NAMES[result.weights]} weights; here it is {{value}} at "
                 f"depth {depth}. "
                 "It stays 0 only where the slopes are constant on the Gaussian and the weights "
                 "orthogonal (dynamical isometry); where it grows, some singular values of J "
                 "grow and others shrink with depth, whatever the mean does. Verdict: "
                 f"{result.verdict}.",
                 formula=sympy.Eq(SPREAD, DEPTH * (sympy.Symbol("mu_2") / sympy.Symbol("mu_1") ** 2
                                                   - 1 - sympy.Symbol("s_1")), evaluate=False),
                 s1=sympy.Eq(sympy.Symbol("s_1"), -1 if result.weights == "gaussian" else 0,
                             evaluate=False),
                 value=sympy.Float(result.variance, 8) if not isinstance(result.variance, sympy.Rational)
                 else result.variance)
    growth = Grid(("depth", "largest squared singular value", say("relative to {m}", m=sympy.Symbol("m_1"))),
                  tuple((str(d), decimal(edge, 8), decimal(relative, 8))
                        for d, edge, relative in result.edge_growth_relative))
    if result.atoms:
        spread = paragraph(spread, _atoms_words(result.atoms))
    if result.bounded_edges:
        depths = ", ".join(str(d) for d in sorted(result.bounded_edges))
        spread = paragraph(spread, say(
            f"At depth {depths} the largest squared singular value is only bounded, by "
            "{bound} (the norms of the layers multiplied): it lies closer to the slopes' "
            "largest square than their law can be computed.",
            bound=(SW2 * sympy.Function("sup")(slope() ** 2)) ** DEPTH))
    figure = _density_figure(result) if result.density and (
        not result.atoms or result.sampled is not None) else None
    sections = [
        Section("Free probability", FREE_PRODUCT, grid=Grid(("quantity", "value"), tuple(rows))),
        Section("Spread and isometry", spread, grid=growth, figure=figure),
    ]
    if result.points:
        sections.append(Section("Density at points", say(
            f"The density {{rho}} to {digits} digits.", rho=sympy.Function("rho")(LAMBDA)),
            grid=Grid((say("{l}", l=LAMBDA), "density"),
                      tuple((exact_text(lam, "text"), decimal(rho, digits))
                            for lam, rho in result.points))))
    if result.sampled is not None:
        sections.append(_sampled_section(result))
    return Document(title, sections, sympy.Integer(depth))


def _atoms_words(atoms: tuple) -> Prose:
    """The spectrum as atoms only: where its squared singular values lie, with what mass."""
    if len(atoms) == 1:
        return say("The spectrum has no density: every squared singular value of J is {l} "
                   "({jj} is a multiple of the identity).",
                   l=sympy.Eq(LAMBDA, atoms[0][0], evaluate=False), jj=gram("JJT"))
    return joined(["The spectrum has no density: the squared singular values of J are ",
                   joined([say("{l} with probability {p}", l=sympy.Eq(LAMBDA, lam, evaluate=False),
                               p=mass) for lam, mass in atoms], " and "), "."], "")


WEIGHT_NAMES = {"gaussian": "Gaussian", "orthogonal": "orthogonal"}  # (Gauss's name, capital)
MEANS_APART = 2  # depths whose means m_1 = χ1^L differ more than this are drawn as λ/m_1


def _density_figure(result: Spectrum) -> Figure:
    """The limiting density on its grid; with samples, their histogram behind it; with
    other depths, theirs beside it (as densities of λ/m_1 where the means differ much); on
    a logarithmic grid, as the density of log₁₀ λ against it."""
    log = result.log_grid
    caption = say("The density of the squared singular values {l} of J on "
                  f"{len(result.density)} points up to the largest (in float64).", l=LAMBDA)
    depths = [result.depth, *(d for d, _ in result.shallower)]
    logs = [float(mpmath.log(result.mean_at(d))) if result.mean_at(d) > 0 else 0.0
            for d in depths]
    relative = max(logs) - min(logs) > math.log(MEANS_APART)

    def mean(depth):  # what λ is divided by: m_1 at that depth, or 1
        return result.mean_at(depth) if relative else mpmath.mpf(1)

    histogram, behind = result.sampled_histogram(), None
    if histogram is not None:
        behind = _bars(histogram, mean(result.depth), log)
        sampled = result.sampled
        caption = paragraph(caption, f"Shaded: the squared singular values of the "
                            f"{sampled.samples} sampled nets of width {sampled.width}, binned.")
        apart = [(template, share) for template, share in (
            ("a share {share} that float64 cannot tell from 0", histogram.at_zero),
            ("a share {share} below the first bin", histogram.below),
            ("a share {share} past the last bin", histogram.beyond)) if share > 0]
        if apart:
            caption = paragraph(caption, joined(
                ["Not drawn: ", joined([say(template, share=sympy.Float(share, 3))
                                       for template, share in apart], " and "), "."], ""))
    more = tuple(Line(*_floats(density, mean(d), log),
                      say("{L}", L=sympy.Eq(DEPTH, d, evaluate=False)))
                 for d, density in result.shallower)
    axis = slashed_ratio(LAMBDA, sympy.Symbol("m_1")) if relative else LAMBDA
    on_axis = [(lam / mean(depth), rho) for depth, density in
               ((result.depth, result.density), *result.shallower) for lam, rho in density]
    infinite = [x for x, rho in on_axis if rho is not None and mpmath.isinf(rho)]
    if infinite:
        caption = paragraph(caption, say(
            "At {l} the density of one layer is infinite ({s} has its largest value "
            "there): not drawn.", l=sympy.Eq(axis, sympy.Float(max(infinite), 3),
                                             evaluate=False), s=slope() ** 2))
    gaps = [x for x, rho in on_axis if rho is None]
    if gaps:
        caption = paragraph(caption, say(
            "Below {l} some densities could not be computed: they are left out, not "
            "guessed.", l=sympy.Eq(axis, sympy.Float(max(gaps), 3), evaluate=False)))
    if more:
        caption = paragraph(caption, "Each depth's density on a grid of its own, up to its "
                            "largest squared singular value.")
    if relative:
        caption = paragraph(caption, say(
            "Each depth's {l} is divided by its mean {m}, so that their shapes compare: the "
            "means differ by a factor {factor}.", l=LAMBDA,
            m=sympy.Eq(sympy.Symbol("m_1"), CHI ** DEPTH, evaluate=False),
            factor=sympy.Float(math.exp(max(logs) - min(logs)), 3)))
    x_label, y_label = say("{l}", l=axis), "density"
    if log:
        x_label = say("{l}", l=log10(axis))
        y_label = say("density of {l}", l=log10(axis))
        caption = paragraph(caption, say(
            "The largest squared singular value runs far ahead of the mean, so the grid is "
            "even in {l} and the curves are the density of {l}, {form}: the area under them "
            "is still the share of the singular values; at {L} the drawn range holds a "
            "share {share} of them.", l=log10(axis),
            form=Factors((sympy.log(10), axis, sympy.Function("rho")(axis))),
            L=sympy.Eq(DEPTH, result.depth, evaluate=False),
            share=sympy.Float(share_on_grid(result.density), 2)))
    return Figure(*_floats(result.density, mean(result.depth), log), x_label, y_label,
                  "density against lambda", caption, behind=behind, more=more,
                  label=say("{L}", L=sympy.Eq(DEPTH, result.depth, evaluate=False)))


def _floats(density, mean=1, log: bool = False) -> tuple[tuple, tuple]:
    """A density's (λ, ρ) pairs as floats to GRID_DIGITS (None for a ρ that is None or
    infinite): of λ/mean (λ divided, ρ multiplied by it), or with ``log`` of log₁₀(λ/mean)
    with the density of log₁₀ λ, ln 10·λρ(λ)."""
    def rounded(value):
        return float(f"{float(value):.{GRID_DIGITS}g}")

    xs, ys = [], []
    with mpmath.workdps(GRID_DIGITS + 5):
        for lam, rho in density:
            ratio = mpmath.mpf(lam) / mean
            xs.append(rounded(mpmath.log10(ratio) if log else ratio))
            ys.append(None if rho is None or mpmath.isinf(rho) else
                      rounded(mpmath.log(10) * mpmath.mpf(lam) * rho if log else rho * mean))
    return tuple(xs), tuple(ys)


def _bars(histogram, mean, log: bool) -> tuple[tuple, tuple]:
    """A histogram's edges and heights on the figure's axes: λ/mean with heights times the
    mean, or log₁₀(λ/mean) with each bin's share over its width in log₁₀ λ."""
    edges = [mpmath.mpf(e) / mean for e in histogram.edges]
    if not log:
        return tuple(float(e) for e in edges), tuple(float(h * mean) for h in histogram.density)
    logs = [mpmath.log10(e) for e in edges]
    return (tuple(float(x) for x in logs),
            tuple(float(h * mean * (b - a) / (lb - la)) for h, a, b, la, lb in
                  zip(histogram.density, edges, edges[1:], logs, logs[1:])))


def _sampled_section(result: Spectrum) -> Section:
    sampled = result.sampled
    rows = [(say("{m}", m=sympy.Symbol(f"m_{k}")),
             f"{_short(sampled.moment(k).value)} ± {_short(sampled.moment(k).error)}",
             spectrum_number(limit, SAMPLE_DIGITS))
            for k, limit in enumerate(result.moments, start=1)]
    ratio = sampled.fourth_moment_ratio()
    hanin = result.hanin
    rows.append(("fourth-moment ratio", f"{_short(ratio.value)} ± {_short(ratio.error)}",
                 "—" if hanin is None else _short(hanin)))
    words = say(f"{sampled.samples} nets of width {sampled.width} drawn from seed {sampled.seed}, "
                "each started at the fixed point; J accumulated in float64 and rescaled every "
                "layer. ± is one standard error. The fourth-moment ratio is {ratio}; for ReLU "
                "at {he} Hanin (2018) gives {product}.",
                ratio=slashed_ratio(Expectation(sympy.Abs(sympy.Symbol("Ju")) ** 4),
                                    Expectation(sympy.Abs(sympy.Symbol("Ju")) ** 2) ** 2),
                he=sympy.Eq(SW2, 2, evaluate=False),
                product=sympy.Product(1 + 5 / sympy.Symbol("n_j"), (sympy.Symbol("j"), 1, DEPTH)))
    if sampled.heavy_tailed():
        words = paragraph(words, say(
            "{fourth} rests on a few nets: their effective number is {k} of {n}, so its "
            "standard error understates how far off it may be; draw more nets.",
            fourth=Expectation(sympy.Abs(sympy.Symbol("Ju")) ** 4),
            k=round(sampled.fourth_moment_effective_samples()), n=sampled.samples))
    return Section("Sampled nets of finite width", words,
                   grid=Grid(("quantity", "sampled", "limit"), tuple(rows)))
