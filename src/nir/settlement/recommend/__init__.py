"""The settlement recommendation tool (issue 18; docs/settlement-recommendation.md).

A pure engine — no Django import anywhere in this package (tests/settlement/test_recommend_layers.py):
households and municipalities in, predictions, assignments and explanations out. The web pages, the
API and the commands call it; production feeds it the register's own history
(``nir.settlement.recommend_source``), development a synthetic world's files (``data.read_*``).

    data.py        the tables: municipalities, households (person/household arrays), capacity
    features.py    person x municipality and household x municipality feature matrices
    model.py       learning both outcomes, calibration on held-out years, uncertainty; save/load
    optimise.py    eligibility and connection rules, batch assignment (LP bound + MIP), one at a time
    explain.py     why a municipality ranks where it does, computed from the model
    fairness.py    outcomes by group against capacity-proportional assignment
    card.py        the model card
"""
