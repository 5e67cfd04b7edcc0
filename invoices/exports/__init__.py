"""Files made from search results: a CSV for Excel and other systems, a
ZIP of the invoices' documents (電子帳簿保存法's download in a usual
format; built in ``invoices.archive``), and the invoices in the upload
format. The CSV builders are pure (invoices in, bytes out);
``invoices_export`` is the one path from a query to a file: it loads,
renders and records the export in each issued invoice's history, and the
view then serves the file. A CSV is streamed (``invoices_export_stream``):
read, written and recorded a chunk of invoices at a time, so that the first
bytes leave at once and memory stays flat however many invoices it holds."""
