"""The cost model: usage counted from histories (``usage``), dated prices (``prices``, ``prices.json``), each
architecture's monthly cost (``model``) and the comparison with its crossovers (``compare``)."""
