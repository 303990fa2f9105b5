"""Message catalogues, one module per language (``symgrad.render.language``)."""
