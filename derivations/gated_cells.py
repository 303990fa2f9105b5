"""(f) Through time: the plain rnn against the gated cells, over 100 steps.

The LSTM's derivation keeps the carousel ∏ f_k apart from every path through a weight;
the bounds, over every input sequence in [-1, 1], show the tanh rnn's gradient vanishing
for every sequence, the GRU's too, and how far a forget gate that reads no state (b_f = 3)
keeps the LSTM's carousel: between sigmoid(5/2)^100 and sigmoid(7/2)^100. The runs give
one sequence's numbers (x_t = 1).
"""

from _output import output_stem

import symgrad

results = [
    symgrad.derive_cell("lstm"),
    symgrad.bounds(cell="rnn", steps=100),
    symgrad.bounds(cell="gru", steps=100),
    symgrad.bounds(cell="lstm", steps=100, parameters="bf=3,wf=0"),
    symgrad.evaluate_cell("rnn", 100, dps=20),
    symgrad.evaluate_cell("lstm", 100, parameters="bf=3,wf=0", dps=20),
]
symgrad.write_documents(output_stem(__file__), "The plain rnn against the gated cells", results)
