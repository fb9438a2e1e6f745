"""Headline sentences (the abstracts, the introduction's contributions, the Limitations) as claims of their own."""
