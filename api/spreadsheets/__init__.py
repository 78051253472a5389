"""Spreadsheets in and out (issue 13): imports of the tree, roster, quotas and past
candidacies from ``.xlsx``/``.csv`` through the application's own commands, templates, and
exports of every report and the roster. The layouts outside users rely on are fixed in
``../shared/api.md`` ("Spreadsheets")."""
