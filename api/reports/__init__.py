"""The report use cases the HTTP API, the web app, the CLI and the exports share: one
function per report, over the read side."""
