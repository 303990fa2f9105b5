"""日本語: the notes in Japanese, as a lecturer writes lecture notes (である調).

Each key is the English sentence with its formulas and code as numbered places ({0},
{1}, …; a format's own phrases name theirs, {number}); the Japanese sentence puts every
place exactly once, in its own order. A place stands apart from Japanese text by a space
(none beside Japanese punctuation), which LuaTeX-ja, browsers and terminals all set as a
small gap. The terms of the field: 勾配消失 (vanishing gradient), 勾配爆発 (exploding
gradient), 誤差逆伝播 (backpropagation), 活性化関数の導関数 (the activation's
derivative), 残差接続 (residual connection).
"""

# LaTeX: LuaLaTeX with LuaTeX-ja (its Japanese article class: 図 for Figure, Japanese line
# breaking and spacing); A4 with margins giving PREAMBLE's text width (500 pt, which
# symgrad.render.latex lays tables out to).
LATEX_ENGINE = "lualatex"
LATEX_PAGE = "\n".join([
    r"\documentclass[11pt,a4paper]{ltjarticle}",
    r"\usepackage[hmargin=1.65cm,vmargin=2cm]{geometry}",
    "",
])
LATEX_NEEDS = ("LuaLaTeX and \\usepackage{luatexja} (Debian: texlive-luatex, "
               "texlive-lang-japanese)")
# The figures' words (matplotlib): the first of these installed; with none, an SVG keeps
# its text as text for the reader's fonts.
# Slides: Beamer with LuaTeX-ja, the Japanese in Gothic as Beamer's own text is sans-serif.
BEAMER_PACKAGES = "\n".join([r"\usepackage{luatexja}",
                             r"\renewcommand{\kanjifamilydefault}{\gtdefault}", ""])
PLOT_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "Hiragino Sans",
              "Hiragino Kaku Gothic ProN", "Yu Gothic", "Meiryo", "MS Gothic", "TakaoGothic",
              "VL Gothic", "Harano Aji Gothic")

MESSAGES = {
    # -- the places alone, and sentences or phrases one after another ------------------
    "{0}": "{0}",
    "{0} {1}": "{0}{1}",
    "{0} {1} {2}": "{0}{1}{2}",
    "{0} {1} {2} {3}": "{0}{1}{2}{3}",
    "{0}, {1}": "{0}, {1}",
    "{0}, {1}, {2}": "{0}, {1}, {2}",
    "{0}, {1}, {2}, {3}": "{0}, {1}, {2}, {3}",
    "{0} and {1}": "{0}、および {1}",

    # -- titles ----------------------------------------------------------------------
    "Vanishing and exploding gradients in a {0} {1} chain of depth {2}":
        "深さ {2} の{0} {1} 連鎖における勾配消失と勾配爆発",
    "Backpropagation through a {0} net of widths {1}: lecture notes":
        "幅 {1} の {0} ネットワークにおける誤差逆伝播：講義ノート",
    "Backpropagation through a {0} {1} chain, {2}": "{0} {1} 連鎖の誤差逆伝播（{2}）",
    "Backpropagation through a {0} net of widths {1}": "幅 {1} の {0} ネットワークの誤差逆伝播",
    "plain": "通常の",
    "residual": "残差接続をもつ",
    "tied": "重みを共有する",
    "tied residual": "重みを共有し残差接続をもつ",
    "depth {0}": "深さ {0}",
    "general depth {0}": "一般の深さ {0}",
    "quadratic": "二乗誤差",
    "cross-entropy": "交差エントロピー",

    # -- the activations' names in words -----------------------------------------------
    "logistic sigmoid": "ロジスティック・シグモイド関数",
    "hyperbolic tangent": "双曲線正接関数",
    "rectified linear unit": "正規化線形関数",
    "leaky ReLU with slope α": "負の側の傾きが α の Leaky ReLU",
    "exponential linear unit with scale α": "スケール α の指数線形ユニット",
    "softplus": "ソフトプラス関数",
    "Gaussian error linear unit (exact, with erf)": "ガウス誤差線形ユニット（erf による厳密な形）",
    "sigmoid linear unit (swish)": "シグモイド線形ユニット（Swish）",
    "identity": "恒等関数",
    "custom": "ユーザー定義の関数",

    # -- section titles ----------------------------------------------------------------
    "Notation and forward pass": "記法と順伝播",
    "Network": "ネットワーク",
    "Activation": "活性化関数",
    "Backward pass": "逆伝播",
    "Closed form": "閉じた形",
    "The closed form": "閉じた形",
    "The chain rule and the {0} recursion": "連鎖律と {0} の漸化式",
    "The front layer at depth {0}": "深さ {0} における最初の層",
    "Weights and derivatives, apart": "重みと導関数を分けて",
    "The layers' factors, whole": "各層の因子をそのまま",
    "{0} and the worst-case bound": "{0} と最悪の場合の上界",
    "One layer": "1 層あたり",
    "The whole chain, depth {0}": "連鎖全体（深さ {0}）",
    "At ten times the depth, {0}": "深さを 10 倍にした場合（深さ {0}）",
    "Verdict": "結論",
    "Regime: {0} with ordinary weights: vanishing": "典型例：通常の重みで {0}：勾配消失",
    "Regime: {0} but {1}: still vanishing": "典型例：{0} だが {1}：やはり勾配消失",
    "Regime: {0}: exploding": "典型例：{0}：勾配爆発",
    "Why ReLU alone does not remove the weight product": "ReLU だけでは重みの積が消えない理由",
    "Residual connections": "残差接続",
    "The residual factor, {0}": "残差接続の因子（{0}）",
    "Values: the gradients": "数値：勾配",
    "Values: layer by layer": "数値：層ごと",
    "Values: setting": "数値：設定",
    "Values: cost and input gradient": "数値：コストと入力勾配",
    "Values: jacobian spectrum": "数値：ヤコビ行列の特異値",
    "The same pass in floats": "同じ計算を浮動小数点数で",
    "Output error": "出力層の誤差",
    "Gradients": "勾配",
    "Matrix form": "行列形式",
    "Any widths and depth": "任意の幅と深さ",
    "The front layer as a sum over paths": "最初の層：経路についての和",
    "Setting": "設定",
    "Cost and input gradient": "コストと入力勾配",
    "Layer by layer": "層ごと",
    "Jacobian spectrum": "ヤコビ行列の特異値",

    # -- the network ---------------------------------------------------------------
    "A scalar {0} chain of {1}: one unit per layer, activation {2} ({3}), {4} cost.":
        "{1} の{0}スカラー連鎖を考える。各層のユニットは 1 つ、活性化関数は {2}（{3}）、"
        "コスト関数は{4}である。",
    "Every layer shares one weight {0} and one bias {1}.":
        "すべての層が 1 つの重み {0} と 1 つのバイアス {1} を共有する。",
    "Each layer adds its output to its input (a residual connection).":
        "各層は出力を入力に足し合わせる（残差接続）。",
    "Widths {0}: layer {1} has {2} units, {3} has {4} rows and {5} columns, and {6} joins "
    "unit {7} of layer {8} to unit {9} of layer {10}.":
        "幅は {0} である。第 {1} 層は {2} 個のユニットをもち、{3} は {4} 行 {5} 列の行列であり、"
        "{6} は第 {8} 層のユニット {7} と第 {10} 層のユニット {9} をつなぐ。",
    "Activation {0} ({1}), {2} cost summed over the output units.":
        "活性化関数は {0}（{1}）、コスト関数は出力ユニットについて和をとった{2}である。",

    # -- the activation ------------------------------------------------------------
    "Over the real line: {0}; {1}.": "実数全体で {0}、{1}である。",
    "{0} ({1}; {2})": "{0}（{1}、{2}）",
    "{0}{1} ({2}; {3})": "{0}{1}（{2}、{3}）",
    ", about {0}": "（約 {0}）",
    "exact": "厳密値",
    "numerical": "数値計算による",
    "attained {0}": "{0}達成される",
    "at {0}": "{0} で",
    "for every {0} in {1}": "{1} のすべての {0} で",
    "not attained, approached as {0} tends to {1}": "達成されず、{0} → {1} の極限で近づく",
    "{0} jumps at {1} (it is discontinuous there): the derivative is taken on each piece, "
    "as autograd takes it; the jump itself, a Dirac delta in the derivative, is no part of "
    "backprop, so these bounds hold off the jumps.":
        "{0} は {1} で跳ぶ（そこで不連続である）。導関数は自動微分と同じく各区間ごとにとる。"
        "跳びそのもの（導関数に現れるディラックのデルタ）は誤差逆伝播には含まれないので、"
        "これらの上下界は跳びの点を除いて成り立つ。",

    # -- the backward pass -----------------------------------------------------------
    "The chain rule, applied once per layer from the output down.":
        "誤差逆伝播では、連鎖律を出力側から 1 層ずつ適用する。",
    "The error recursion, from the output layer down.":
        "出力層から入力側へ向かう誤差の漸化式である。",
    "In a residual chain the gradient with respect to the activations, not {0}, obeys a "
    "clean recursion: each layer multiplies it by {1}.":
        "残差接続をもつ連鎖では、{0} ではなく活性に関する勾配が簡潔な漸化式に従う。"
        "各層はこの勾配に {1} を掛ける。",

    # -- the closed form -------------------------------------------------------------
    "The product of weights runs from layer {0} to {1}, the product of derivatives from "
    "layer {2} to {3}: one weight fewer than derivatives.":
        "重みの積は第 {0} 層から第 {1} 層まで、導関数の積は第 {2} 層から第 {3} 層までにわたる。"
        "重みは導関数より 1 つ少ない。",
    "Each layer between {0} and the output contributes a factor {1}, not {2}: the identity "
    "path keeps the gradient from vanishing.":
        "第 {0} 層から出力までの各層は、{2} ではなく因子 {1} を寄与する。"
        "恒等経路が勾配消失を防ぐのである。",
    "The product of the {0} weights after layer {1} collapses to a power of the shared weight "
    "{2}; the product of derivatives runs from layer {3} to layer {4}.":
        "第 {1} 層より後の {0} 個の重みの積は、共有された重み {2} のべきにまとまる。"
        "導関数の積は第 {3} 層から第 {4} 層までにわたる。",
    "Every factor written out, the activation's derivative through its output where it has "
    "such a form.":
        "すべての因子を書き下す。活性化関数の導関数は、出力で表せる場合には出力を用いて書く。",
    "The front layer's error with the weights grouped apart from the derivatives: {0} "
    "weights, {1} derivatives.":
        "最初の層の誤差を、重みと導関数を分けてまとめた形で書く。重みは {0} 個、導関数は "
        "{1} 個である。",
    "The front layer's error with each layer above it contributing its whole factor {0}: "
    "{1} factors, none of them a product of a weight and a derivative alone.":
        "最初の層の誤差では、それより上の各層が因子 {0} をそのまま寄与する。因子は {1} 個で、"
        "どれも重みと導関数だけの積ではない。",
    "Each layer's error as (output gradient) × (weights) × (activation derivatives).":
        "各層の誤差を（出力での勾配）×（重み）×（活性化関数の導関数）の形で書く。",
    "{0} of the {1} layers written out (the rest follow the closed form; writing all would "
    "grow as the square of the depth).":
        "{1} 層のうち {0} 層を書き下す（残りは閉じた形に従う。すべて書くと分量は深さの 2 乗で"
        "増える）。",

    # -- bounds ------------------------------------------------------------------------
    "Over every input, {0} lies between {1} and {2} ({3}).":
        "すべての入力に対して、{0} は {1} と {2} の間にある（{3}）。",
    "numerical, refined to {0} digits": "数値計算により {0} 桁まで精密化",
    "Layer {0} multiplies the gradient {1} by {2}. Over every input its magnitude lies "
    "between the two bounds below.":
        "第 {0} 層は勾配 {1} に {2} を掛ける。その大きさは、すべての入力に対して下の 2 つの界の"
        "間にある。",
    "Layer {0} multiplies the gradient {1} by {2}. Over every input its magnitude lies "
    "between the two bounds below (each distinct weight).":
        "第 {0} 層は勾配 {1} に {2} を掛ける。その大きさは、すべての入力に対して下の 2 つの界の"
        "間にある（異なる重みごとに示す）。",
    "The first {0} are listed; JSON has them all.": "最初の {0} 個を示す。JSON にはすべてが含まれる。",
    "weight": "重み",
    "layers": "層数",
    "lower bound": "下界",
    "upper bound": "上界",
    "The product of the per-layer bounds, for every input.":
        "層ごとの界の積であり、すべての入力に対して成り立つ。",
    "The same bound for a chain ten times as deep.": "10 倍の深さの連鎖に対する同じ界である。",

    # -- what the bounds say: the gradient … -----------------------------------------
    "At depth {0} the gradient {1}; at depth {2} it {3}.":
        "深さ {0} では、勾配は{1}。深さ {2} では、勾配は{3}。",
    "For {0} with {1}: the gradient {2}.": "{0} で {1} のとき、勾配は{2}。",
    "vanishes for every input, at least as fast as {0} with {1}":
        "すべての入力に対して、少なくとも {0}（{1}）の速さで消失する",
    "explodes for every input: {0}": "すべての入力に対して爆発する（{0}）",
    "neither vanishes nor explodes: {0} for every input":
        "消失も爆発もしない（すべての入力に対して {0}）",
    "never grows ({0}); it stays at 1 only where every layer's factor is at its largest":
        "増大することはない（{0}）。1 にとどまるのは、すべての層の因子が最大値をとる所だけである",
    "can explode (the bound exceeds 1 for some inputs); it can also vanish":
        "爆発しうる（ある入力では界が 1 を超える）。消失することもありうる",
    "can explode (the bound exceeds 1 for some inputs), and never shrinks: {0} for every input":
        "爆発しうる（ある入力では界が 1 を超える）。縮小することはない（すべての入力に対して {0}）",

    # -- the three textbook regimes ----------------------------------------------------
    "The sigmoid's derivative is at most {0}, so with {1} every layer multiplies the gradient "
    "by at most {2}.":
        "シグモイド関数の導関数は高々 {0} なので、{1} ならば各層は勾配を高々 {2} 倍にする。",
    "A ReLU passes the gradient with {0} where it is active, yet weights of {1} halve it at "
    "every layer.":
        "ReLU は活性な所では {0} で勾配をそのまま通すが、重みが {1} だと勾配は各層で半分になる。",
    "With {0} an active ReLU multiplies the gradient by {1} at every layer.":
        "{0} のとき、活性な ReLU は各層で勾配を {1} 倍にする。",
    "Per layer the factor is {0}; over {1} and {2} layers:":
        "1 層あたりの因子は {0} であり、{1} 層と {2} 層では次のようになる。",

    # -- ReLU and the weights; residual connections --------------------------------------
    "ReLU's derivative is 1 where a unit is active and 0 elsewhere, so along an active chain "
    "the {0} factors are all 1, but the weights stay: the front layer still carries {1}. "
    "With every {2} that is {3}; with every {4} it is {5}.":
        "ReLU の導関数は、ユニットが活性な所で 1、それ以外で 0 である。したがって活性な連鎖に"
        "沿って因子 {0} はすべて 1 になるが、重みは残る。最初の層にはなお {1} が掛かる。"
        "すべての層で {2} ならこれは {3} であり、{4} なら {5} である。",
    "ReLU's derivative is 1 where a unit is active and 0 elsewhere, so along an active chain "
    "the {0} factors are all 1, but the weights stay: with one layer there is no weight "
    "between the front layer and the output.":
        "ReLU の導関数は、ユニットが活性な所で 1、それ以外で 0 である。したがって活性な連鎖に"
        "沿って因子 {0} はすべて 1 になるが、重みは残る。ただし層が 1 つだけなら、最初の層と"
        "出力の間に重みはない。",
    "With {0} each layer multiplies the gradient by {1}, not {2}: the identity path carries "
    "it even where {3} is small.":
        "{0} とすると、各層は勾配に {2} ではなく {1} を掛ける。{3} が小さい所でも、恒等経路が"
        "勾配を運ぶのである。",

    # -- the diagram ------------------------------------------------------------------
    "Forward (top row): {0}, then {1}.": "順伝播（上の行）：{0}、続いて {1}。",
    "Backward (bottom row): each arrow multiplies by the factor on it, {0}.":
        "逆伝播（下の行）：各矢印は、そこに書かれた因子を掛ける（{0}）。",
    "Backward (bottom row): each arrow multiplies by the factor on it.":
        "逆伝播（下の行）：各矢印は、そこに書かれた因子を掛ける。",
    "Backward (bottom row): each arrow multiplies the gradient by the factor on it, {0}; the "
    "curved arrows are the identity paths that carry it past {1}.":
        "逆伝播（下の行）：各矢印は、勾配にそこに書かれた因子を掛ける（{0}）。曲がった矢印は、"
        "勾配に {1} を迂回させる恒等経路である。",
    "The dots stand for layer {0}.": "「⋯」は第 {0} 層を表す。",
    "The dots stand for layers {0} and {1}.": "「⋯」は第 {0} 層と第 {1} 層を表す。",
    "The dots stand for layers {0} to {1}.": "「⋯」は第 {0} 層から第 {1} 層までを表す。",
    "The dots stand for the layers between {0} and {1} and between {2} and {3}.":
        "「⋯」は第 {0} 層と第 {1} 層の間、および第 {2} 層と第 {3} 層の間の層を表す。",
    "Each unit is named by its output ({0} is unit 1 of layer 1), and every unit of a layer "
    "feeds every unit of the next: the arrow from unit {1} of layer {2} to unit {3} of layer "
    "{4} carries the weight {5} (written on the arrows into unit 1 of each layer).":
        "各ユニットはその出力で名づける（{0} は第 1 層のユニット 1）。ある層の各ユニットは次の層の"
        "すべてのユニットに入力し、第 {2} 層のユニット {1} から第 {4} 層のユニット {3} への矢印は"
        "重み {5} を運ぶ（各層のユニット 1 に入る矢印に書いてある）。",
    "Each unit is named by its output ({0} is unit 1 of layer 1), and every unit of a layer "
    "feeds every unit of the next: the arrow from unit {1} of layer {2} to unit {3} of layer "
    "{4} carries the weight {5} (written on the top arrow of each layer only: with more than "
    "{6} units a layer has too many arrows to label).":
        "各ユニットはその出力で名づける（{0} は第 1 層のユニット 1）。ある層の各ユニットは次の層の"
        "すべてのユニットに入力し、第 {2} 層のユニット {1} から第 {4} 層のユニット {3} への矢印は"
        "重み {5} を運ぶ（各層のいちばん上の矢印にだけ書いてある。ユニットが {6} 個を超えると、"
        "すべてに書くには矢印が多すぎる）。",
    "The output units feed the cost {0}.": "出力ユニットはコスト {0} に入力する。",

    # -- values: a chain ---------------------------------------------------------------
    "The input gradient, its size, and the output gradient.":
        "入力に関する勾配、その大きさ、および出力に関する勾配。",
    "{0}, {1}; {2}. The figure: {3} against {4}.":
        "{0}、利得 {1}。表には{2}を示す。図は {4} に対する {3} である。",
    "{0}, {1} (residual); {2}. The figure: {3} against {4}.":
        "{0}、利得 {1}（残差接続）。表には{2}を示す。図は {4} に対する {3} である。",
    "every layer": "すべての層",
    "{0} of the {1} layers (JSON has them all)": "{1} 層のうち {0} 層（JSON にはすべてが含まれる）",
    "gain": "利得",
    "{0}; {1}.": "{0}。{1}。",
    "{0}: holds at every layer, {1}": "{0}：すべての層で値が表せる（{1}）",
    "{0}: {1} is {2} from layer {3} down, {4}": "{0}：第 {3} 層から入力側で {1} は {2} になる（{4}）",
    "{0}: {1} is {2} from layer {3} down ({4}), {5}":
        "{0}：第 {3} 層から入力側で {1} は {2} になる（{4}。{5}）",
    "{0} overflows {1}": "{0} が {1} でオーバーフローする",
    "{0} is {1} in {2}": "{0} が {2} で {1} になる",
    "{0} at layer {1}": "第 {1} 層で {0}",

    # -- the figure ---------------------------------------------------------------------
    "layer {0}": "層 {0}",
    "{0} against {1}": "{1} に対する {0}",
    "{0} against {1} (enclosure: midpoint; upper end if it reaches 0)":
        "{1} に対する {0}（区間の中点。0 を含む区間は上端）",
    "{0} against the layer {1}, from the exact pass.": "層 {1} に対する {0}（厳密な計算による）。",
    "{0} against the layer {1}, from the exact pass; an enclosure at its midpoint, or its upper "
    "end if it reaches 0.":
        "層 {1} に対する {0}（厳密な計算による。区間はその中点で、0 を含む区間は上端で示す）。",
    "The dashed lines, as labelled: where float32 or float64 overflows (past its largest finite "
    "number) or underflows to 0 (below its smallest subnormal).":
        "破線はラベルのとおり、float32 または float64 がオーバーフローする所（最大の有限数を"
        "超える）と、アンダーフローして 0 になる所（最小の非正規化数を下回る）を示す。",

    # -- values: a net -------------------------------------------------------------------
    "Weights: {0}. Input {1}, target {2}; every number read exactly.":
        "重み：{0}。入力は {1}、目標は {2} であり、すべての数を厳密に読み込む。",
    "{0} initialisation, seed {1}": "{0} 初期化、シード {1}",
    "{0}, scale {1}": "{0}、スケール {1}",
    "file {0}": "ファイル {0}",
    "{0}, {1}; {2}.": "{0}、{1}。表には{2}を示す。",
    "units": "ユニット数",
    "The input-output Jacobian {0}, multiplied out; its {1} singular values (largest first), "
    "each to {2} digits (worked at {3}). Spectral norm {4} against the bound {5}; condition "
    "number {6}.":
        "入出力ヤコビ行列 {0} を掛け合わせて求める。その {1} 個の特異値を大きい順に、それぞれ "
        "{2} 桁で示す（計算は {3} 桁で行う）。スペクトルノルムは {4} であり、上界 {5} と比べられる。"
        "条件数は {6} である。",
    "The input-output Jacobian {0}, multiplied out; its {1} singular values (largest first, the "
    "first and last five), each to {2} digits (worked at {3}). Spectral norm {4} against the "
    "bound {5}; condition number {6}.":
        "入出力ヤコビ行列 {0} を掛け合わせて求める。その {1} 個の特異値のうち最大の 5 個と最小の "
        "5 個を大きい順に、それぞれ {2} 桁で示す（計算は {3} 桁で行う）。スペクトルノルムは {4} "
        "であり、上界 {5} と比べられる。条件数は {6} である。",
    "{0} (the smallest singular value is 0 to the working digits)":
        "{0}（最小の特異値は計算桁数の範囲で 0）",
    "The Jacobian's singular values are not computed for a net wider than {0} units unless "
    "asked for ({1}): multiplying the Jacobian out would take long.":
        "幅が {0} ユニットを超えるネットでは、求められない限り（{1}）ヤコビ行列の特異値は"
        "計算しない。ヤコビ行列を掛け合わせるのに時間がかかるためである。",
    "The Jacobian's singular values were not asked for ({0}).":
        "ヤコビ行列の特異値は求められなかった（{0}）。",
    "A value shown as below {0} cannot be told from 0 at the working digits.":
        "{0} 未満と示した値は、計算桁数では 0 と区別できない。",
    "below {0}": "{0} 未満",

    # -- the net's derivation --------------------------------------------------------------
    "Each output unit's error: the cost's derivative times {0}.":
        "各出力ユニットの誤差は、コストの導関数に活性化関数の導関数 {0} を掛けたものである。",
    "Each unit's error gathers the errors of the units it feeds, through the weights leaving "
    "it (column {0} of {1}), times its own {2}.":
        "各ユニットの誤差は、そのユニットが入力する先のユニットの誤差を、そこから出る重み"
        "（{1} の第 {0} 列）を通して集め、自身の活性化関数の導関数 {2} を掛けたものである。",
    "For every entry of every layer, as written below.": "すべての層のすべての成分について次のとおりである。",
    "With {0} the errors are one matrix product; the same factors, in the other order and "
    "untransposed, make the input-output Jacobian.":
        "{0} とおくと、誤差は 1 つの行列積になる。同じ因子を逆の順序で、転置せずに掛けると、"
        "入出力ヤコビ行列になる。",
    "The matrix form for a net of depth {0}.": "深さ {0} のネットワークに対する行列形式。",
    "The scalar chain's single product of weights and {0} becomes one such product for every "
    "path from the unit to the output.":
        "スカラー連鎖では重みと {0} の積はただ 1 つであったが、ネットワークではユニットから出力への"
        "経路ごとに 1 つずつの積になる。",

    "{0}: {1} is subnormal from layer {2} down (its digits run out) and {3} from layer {4} "
    "down, {5}":
        "{0}：第 {2} 層から入力側で {1} は非正規化数になって桁が尽きていき、第 {4} 層から入力側で "
        "{3} となる（{5}）",
    "{0}: {1} is subnormal from layer {2} down (its digits run out), {3}":
        "{0}：第 {2} 層から入力側で {1} は非正規化数になり、桁が尽きていく（{3}）",

    # -- highway chains ---------------------------------------------------------------------
    "highway": "ハイウェイ",
    "p": "p",
    "q": "q",
    "A transform gate {0} mixes each layer's output with its input (a highway layer).":
        "変換ゲート {0} が各層の出力とその入力を混ぜ合わせる（ハイウェイ層）。",
    "Backward (bottom row): each arrow multiplies the gradient by the factor on it, {0}, with "
    "{1}; the curved arrows are the paths past {2}, through the gate.":
        "逆伝播（下の段）：各矢印は勾配にその上の因子を掛ける。{0}、ただし {1}。曲がった矢印は"
        "ゲートを通って {2} を迂回する経路である。",
    "Each layer between {0} and the output contributes its whole factor {1}, not {2}: where "
    "the gate is nearly shut ({3} near 0) the carry term {4} passes the gradient on whatever "
    "{5} and {6} are.":
        "{0} と出力の間の各層は、{2} ではなく因子 {1} 全体を寄与する。ゲートがほぼ閉じている"
        "ところ（{3} が 0 に近いところ）では、{5} と {6} が何であっても、素通りの項 {4} が"
        "勾配を先へ渡す。",
    "Every factor written out.": "すべての因子を書き下す。",
    "Here too the gradient with respect to the activations, not {0}, obeys a clean recursion: "
    "each layer multiplies it by its factor {1}, derived from the layer's definition.":
        "ここでも、{0} ではなく活性に関する勾配がきれいな漸化式に従う。各層はそれに、層の定義から"
        "導いた因子 {1} を掛ける。",
    "Layer {0} multiplies the gradient {1} by {2}.": "第 {0} 層は勾配 {1} に {2} を掛ける。",
    "Over every input, with {0} in {1}, {2} and {3} in {4} (σ's range) and {5}, taken as "
    "independent, its magnitude lies between the bounds below.":
        "すべての入力について、{0} が {1} に、{2} と {3} が {4}（σ の値域）にあり、{5} であるとし、"
        "これらを独立とみなすと、その大きさは次の上下界の間にある。",
    "Over every input, with {0} in {1}, {2} in {3} (σ's range), {4} in {5} and {6}, taken as "
    "independent, its magnitude lies between the bounds below.":
        "すべての入力について、{0} が {1} に、{2} が {3}（σ の値域）に、{4} が {5} にあり、"
        "{6} であるとし、これらを独立とみなすと、その大きさは次の上下界の間にある。",
    "{0} in {1}": "{0} が {1} にある",
    "every value of {0} there": "{0} がそこでとる任意の値",
    "Each distinct setting has bounds of its own.": "異なる設定ごとに、それぞれの上下界がある。",
    "This holds for inputs {0} in {1}: a layer's output stays in that range when its input "
    "does.":
        "これは {1} にある入力 {0} について成り立つ。層の入力がその範囲にあれば、出力もその範囲に"
        "とどまる。",
    "There is no finite upper bound: σ's range is unbounded, and the gate's term grows with "
    "{0}.":
        "有限の上界はない。σ の値域は有界でなく、ゲートの項は {0} とともに大きくなる。",
    "has no finite upper bound over every input, so these bounds cannot say it vanishes; "
    "evaluate the chain at your input":
        "すべての入力にわたる有限の上界をもたないので、これらの上下界からは消失するとは言えない。"
        "与えた入力で連鎖を評価すること",
    "explodes for every input ({0}), with no finite upper bound":
        "すべての入力について爆発し（{0}）、有限の上界をもたない",
    "{0}, {1} (highway); {2}. The figure: {3} against {4}.":
        "{0}、{1}（ハイウェイ）。{2}。図：{4} に対する {3}。",

    # -- recurrent cells: the derivation ---------------------------------------------------
    "Vanishing and exploding gradients through time: simple recurrent cell, {0} steps":
        "時間方向の勾配消失と勾配爆発：単純再帰セル、{0} ステップ",
    "Vanishing and exploding gradients through time: LSTM cell, {0} steps":
        "時間方向の勾配消失と勾配爆発：LSTM セル、{0} ステップ",
    "Vanishing and exploding gradients through time: GRU cell, {0} steps":
        "時間方向の勾配消失と勾配爆発：GRU セル、{0} ステップ",
    "The simple recurrent cell (Elman (1990); torch.nn.RNN with sizes 1 and one bias){0}: state "
    "{1}, one input {2} per step, parameters shared by every step.":
        "単純再帰セル（Elman (1990)、大きさ 1 でバイアス 1 つの torch.nn.RNN）{0}。状態は {1}、"
        "各ステップに入力 {2} が 1 つあり、パラメータはすべてのステップで共有される。",
    "The LSTM cell (Hochreiter & Schmidhuber (1997); torch.nn.LSTM): state {0}, {1}, one input "
    "{2} per step, parameters shared by every step.":
        "LSTM セル（Hochreiter & Schmidhuber (1997)、torch.nn.LSTM）。状態は {0}, {1}、"
        "各ステップに入力 {2} が 1 つあり、パラメータはすべてのステップで共有される。",
    "The GRU cell (Cho et al. (2014); torch.nn.GRU): state {0}, one input {1} per step, "
    "parameters shared by every step.":
        "GRU セル（Cho et al. (2014)、torch.nn.GRU）。状態は {0}、各ステップに入力 {1} が 1 つあり、"
        "パラメータはすべてのステップで共有される。",
    ", activation {0}": "、活性化関数 {0}",
    "Gates: {0} (input gate), {1} (forget gate), {2} (candidate), {3} (output gate).":
        "ゲート：{0}（入力ゲート）、{1}（忘却ゲート）、{2}（候補値）、{3}（出力ゲート）。",
    "Gates: {0} (reset gate), {1} (update gate), {2} (candidate).":
        "ゲート：{0}（リセットゲート）、{1}（更新ゲート）、{2}（候補値）。",
    "The cost reads only the last output.": "コストは最後の出力だけを読む。",
    "The local Jacobian": "局所ヤコビ行列",
    "{0} = {1}: each entry is sympy.diff of the one step's quantities, chained through them; "
    "a gate's derivative written through the gate.":
        "{0} = {1}。各成分は 1 ステップの量の sympy.diff を、それらを通して連鎖させたものである。"
        "ゲートの導関数はゲート自身で書く。",
    "Backpropagation through time": "通時的誤差逆伝播",
    "The gradient with respect to the state is carried back by the transposed Jacobian; {0} is "
    "the gradient with respect to the state carried into step {1}.":
        "状態に関する勾配は転置ヤコビ行列によって逆向きに運ばれる。{0} はステップ {1} へ持ち込まれる"
        "状態に関する勾配である。",
    "The gradient with respect to the state is carried back by the Jacobian.":
        "状態に関する勾配はヤコビ行列によって逆向きに運ばれる。",
    "Each parameter's gradient sums its steps' contributions.":
        "各パラメータの勾配は、各ステップの寄与の和である。",
    "The carousel": "カルーセル",
    "{0} collects every path that passes through a recurrent weight ({1}, {2}, {3}); with "
    "those weights 0 it is 0, and the gradient travels on the carousel alone, multiplied by "
    "{4} at each step: no weight and no activation's derivative in the product.":
        "{0} は再帰重み（{1}, {2}, {3}）を通るすべての経路を集めたものである。これらの重みが 0 なら"
        "それも 0 で、勾配はカルーセルだけを通り、各ステップで {4} を掛けられる。その積には重みも"
        "活性化関数の導関数も現れない。",
    "{0} collects every path that passes through a recurrent weight ({1}, {2}, {3}, {4}); with "
    "those weights 0 it is 0, and the gradient travels on the carousel alone, multiplied by "
    "{5} at each step: no weight and no activation's derivative in the product.":
        "{0} は再帰重み（{1}, {2}, {3}, {4}）を通るすべての経路を集めたものである。これらの重みが"
        " 0 ならそれも 0 で、勾配はカルーセルだけを通り、各ステップで {5} を掛けられる。その積には"
        "重みも活性化関数の導関数も現れない。",
    "Each {0} lies in (0, 1): the carousel still shrinks the gradient unless the gate stays "
    "near 1 (a large bias).":
        "各 {0} は (0, 1) にある。ゲートが 1 の近くにとどまらない限り（大きなバイアス）、"
        "カルーセルもやはり勾配を縮める。",
    "The gradient reaching step l is a product over the later steps, the weights' apart from "
    "the activation's derivatives.":
        "ステップ l に届く勾配は後のステップにわたる積であり、重みの積は活性化関数の導関数の積と"
        "分けて書ける。",

    # -- recurrent cells: the bounds -------------------------------------------------------
    "Parameters {0}, {1}, {2}; initial state {3}.": "パラメータ {0}, {1}, {2}。初期状態 {3}。",
    "Parameters {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}; initial state {10}.":
        "パラメータ {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}。初期状態 {10}。",
    "Parameters {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}; initial state "
    "{12}, {13}.":
        "パラメータ {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}。"
        "初期状態 {12}, {13}。",
    "Activation {0}.": "活性化関数は {0} である。",
    "The bounds hold for every input sequence with {0} from {1} to {2}, and every state the "
    "cell reaches from there: each step is bounded in certified interval arithmetic over a box "
    "of states that holds its own image.":
        "この上下界は、{0} が {1} から {2} までにあるすべての入力列と、そこからセルが到達する"
        "すべての状態について成り立つ。各ステップは、自身の像を含む状態の箱の上で、"
        "保証付き区間演算によって評価する。",
    "Where the states stay": "状態のとどまる範囲",
    "From step 1 on every state lies in this box: a step maps it into itself for every input "
    "in the range.":
        "ステップ 1 以降、すべての状態はこの箱の中にある。範囲内のどの入力についても、"
        "1 ステップはこの箱を自身の中へ写す。",
    "No bounded box holds the states (the activation is unbounded and the weight lets them "
    "grow), so the later steps take the activation's whole range.":
        "状態を収める有界な箱はない（活性化関数が有界でなく、重みが状態の増大を許す）。"
        "そのため後のステップでは活性化関数の値域全体をとる。",
    "state": "状態",
    "least": "最小",
    "greatest": "最大",
    "One step": "1 ステップ",
    "What a step does to the gradient, over every state and input: the Jacobian's largest "
    "singular value {0} at most, its least {1} at least, and each gate's range.":
        "1 ステップが勾配に及ぼす作用を、すべての状態と入力について示す。ヤコビ行列の最大特異値"
        " {0} の上界、最小特異値 {1} の下界、および各ゲートの範囲である。",
    "An rnn piece with a kink of the activation took the activation's whole derivative range.":
        "活性化関数の折れ点を含む単純再帰セルの小区間では、導関数の値域全体をとった。",
    "step 1: least": "ステップ 1：最小",
    "step 1: greatest": "ステップ 1：最大",
    "step 2: least": "ステップ 2：最小",
    "step 2: greatest": "ステップ 2：最大",
    "steps 2 … {0}: least": "ステップ 2 … {0}：最小",
    "steps 2 … {0}: greatest": "ステップ 2 … {0}：最大",
    "The whole sequence, {0} steps": "系列全体、{0} ステップ",
    "The products of the steps' bounds: the gradient carried back to the initial state is "
    "multiplied by at most the product of {0} and at least that of {1}.":
        "各ステップの上下界の積。初期状態まで逆向きに運ばれる勾配は、多くとも {0} の積倍、"
        "少なくとも {1} の積倍になる。",
    "What the bounds say": "上下界からわかること",
    "The gradient vanishes for every input sequence in the range: {0}.":
        "範囲内のすべての入力列について勾配は消失する：{0}。",
    "The gradient explodes for every input sequence in the range: {0}.":
        "範囲内のすべての入力列について勾配は爆発する：{0}。",
    "The bounds do not settle whether the gradient vanishes or explodes ({0} to {1}); evaluate "
    "the cell at your inputs with {2}.":
        "この上下界（{0} から {1}）では、勾配が消失するか爆発するかは決まらない。{2} で、"
        "与えた入力でのセルを評価すること。",
    "Along the carousel alone (the {0} gate, through no weight) the gradient is multiplied by "
    "{1}, between {2} and {3}{4}.":
        "カルーセルだけに沿うと（ゲート {0}、重みを通らない）、勾配には {2} と {3} の間にある "
        "{1} が掛かる{4}。",
    ": it vanishes however the inputs run": "。入力がどう動いても消失する",
    ": it keeps the gradient's size": "。勾配の大きさは保たれる",
    "The gate's bias {0}": "ゲートのバイアス {0}",
    "The carousel keeps the gradient only as far as its gate stays near 1, and the bias sets "
    "where the gate sits. The bounds over the same inputs, and the run, with {0} lower and "
    "higher, the rest as given.":
        "カルーセルが勾配を保つのはゲートが 1 の近くにとどまる限りであり、ゲートの位置はバイアスで"
        "決まる。同じ入力範囲での上下界と実行結果を、{0} を下げた場合と上げた場合について、"
        "ほかは与えたままで示す。",
    "In the run the gradient enters the carousel through {0}: a bias that lets {1} grow large "
    "also saturates {2} and narrows that entry.":
        "実行では、勾配は {0} を通ってカルーセルに入る。{1} を大きく育てるバイアスは {2} をも飽和"
        "させ、その入口を狭める。",
    "{0} at most": "{0} の上界",
    "{0} at least": "{0} の下界",
    "{0} in the run": "実行での {0}",

    # -- recurrent cells: the values -------------------------------------------------------
    "Values: step by step": "数値：ステップごと",
    "The cost, every parameter's gradient (summed over the steps) and the initial state's.":
        "コスト、各パラメータの勾配（ステップにわたる和）、および初期状態に関する勾配。",
    "Every step": "すべてのステップ",
    "{0} of the {1} steps (JSON has them all)":
        "{1} ステップのうち {0} ステップ（JSON にはすべてが含まれる）",
    "{0}: the gradient reaching each step's state and the size of the step's Jacobian, and the "
    "carousel's product. The figure: {1} against {2}.":
        "{0}：各ステップの状態に届く勾配、そのステップのヤコビ行列の大きさ、およびカルーセルの積。"
        "図は {2} に対する {1} である。",
    "{0}: the gradient reaching each step's state and the size of the step's Jacobian. The "
    "figure: {1} against {2}.":
        "{0}：各ステップの状態に届く勾配と、そのステップのヤコビ行列の大きさ。図は {2} に対する"
        " {1} である。",
    "{0} against the step {1}, from the exact pass.": "厳密な計算による、ステップ {1} に対する {0}。",
    "step {0}": "ステップ {0}",
    "t": "t",

    # -- random weights: the edge of chaos and the Jacobian's spectrum --------------------
    "Random weights: the edge of chaos": "ランダムな重み：カオスの縁",
    "Draw each weight of a wide net from {0} and set the biases to 0. Every layer then "
    "multiplies the expected squared gradient by {1} at the fixed point {2} of the "
    "preactivations' variance (mean field). For {3} this is 1 at {4}: the edge of chaos, "
    "where the mean gradient neither vanishes nor explodes with depth.":
        "幅の広いネットの各重みを {0} から引き、バイアスを 0 とする。このとき各層は、前活性化の"
        "分散の固定点 {2} において、勾配の二乗の期待値を {1} 倍する（平均場）。{3} ではこれが "
        "{4} で 1 になる。これがカオスの縁であり、勾配の平均は深さとともに消失も爆発もしない。",
    "Beyond the mean: the Jacobian's spectrum": "平均の先へ：ヤコビ行列のスペクトル",
    "{0} fixes only the mean of the squared singular values of {1}. Free probability "
    "(Pennington, Schoenholz & Ganguli 2017, 2018) gives their spread about it, {2}, with "
    "{3} for Gaussian weights and {4} for orthogonal ones. At depth {5} the Jacobian with "
    "Gaussian weights is {6}; with orthogonal weights it is {7}.":
        "{0} が定めるのは {1} の特異値の二乗の平均だけである。自由確率論（Pennington, "
        "Schoenholz & Ganguli 2017, 2018）は平均のまわりの広がりを {2} と与える。ここで"
        "ガウス分布の重みでは {3}、直交行列の重みでは {4} である。深さ {5} で、ヤコビ行列は"
        "ガウス分布の重みでは{6}であり、直交行列の重みでは{7}である。",
    "isometric": "等長的",
    "near-isometric": "ほぼ等長的",
    "not isometric": "非等長的",
    "Gaussian weights": "ガウス分布の重み",
    "orthogonal weights": "直交行列の重み",
    "largest squared singular value": "最大の特異値の二乗",
    "spread per layer": "1 層あたりの広がり",
    "quantity": "量",
    "value": "値",

    # -- the formats' own words (named places: what the format fills in) ------------------
    "Figure {number}.": "図 {number}",
    "{title} (cont.)": "{title}（続き）",
    "Figure {number}": "図 {number}",
    "{caption} {note}": "{caption}{note}",
    "Nothing to chart: every value is exactly 0 ({formula}).":
        "描く点がない。値はすべてちょうど 0 である（{formula}）。",
    "Nothing to chart: every value is exactly 0.": "描く点がない。値はすべてちょうど 0 である。",
    "{format} overflow": "{format} のオーバーフロー",
    "{format} underflow": "{format} のアンダーフロー",
    "(A text chart: with matplotlib installed, {0}, it is an SVG image beside this file.)":
        "（テキストによるグラフである。matplotlib を入れれば（{0}）、このファイルの隣に SVG "
        "画像として描かれる。）",
    "(A text chart: with matplotlib installed, {0}, it is a picture.)":
        "（テキストによるグラフである。matplotlib を入れれば（{0}）、図として描かれる。）",
}
