"""统计分析: the leadership's figures (approved and paid money, budgets, stages and how long they take).

Every figure is an aggregate query (``queries``); the stage spans behind the medians are kept as rows
(``models.StageVisit``), written by ``receivers`` inside each transition's transaction.
"""
