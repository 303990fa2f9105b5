"""(d) The gain region of the sigmoid: where |w σ'(w a + b)| ≥ 1.

|w| < 4: nowhere; |w| = 4: only z = 0; |w| = 8: |z| ≤ 2 arccosh(√2), inputs of width
0.4407; the widest region is at |w| ≈ 6.894, width ≈ 0.4477 (Nielsen's "about 0.45").
"""

from _output import output_stem

import symgrad

results = [
    symgrad.region("sigmoid", 3),
    symgrad.region("sigmoid", 4),
    symgrad.region("sigmoid", 8, b=1),
    symgrad.region("sigmoid", maximize=True),
]
symgrad.write_documents(output_stem(__file__), "The gain region of the sigmoid", results)
