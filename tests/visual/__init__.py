"""Checks of what a person sees, through real viewers (poppler, headless Chromium); they need scripts/system-deps.sh."""
