"""The audit use cases, called by the HTTP API and the CLI alike: a candidacy's history, its
state as of a day, the explanation of every check, the dossier's content, the deadline
compliance report, the verification of the stored record, and the log line every audit read
leaves. Renderings of their answers (the PDF) live apart, in ``api.documents``.
"""
