"""The report, submission.pdf: results found and loaded, image measures, each exercise part's answers, the PDF."""
