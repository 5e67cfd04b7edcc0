"""The supplier's reconciliation of incoming payments (売掛金消込, Gifu
model ⑨): its bank's file is read (``incoming``: 全銀 振込入金通知 種別01
and 入出金取引明細 種別03; ``bank_csv``: a net-banking CSV with a column
mapping) into ``Credit`` rows, which ``matching`` pairs with the supplier's
payment notices. Pure code, no database; the service stores the result."""
