"""The hand-in: results folders -> filled-in Markdown templates (templates/) -> submission.md and submission.pdf."""
