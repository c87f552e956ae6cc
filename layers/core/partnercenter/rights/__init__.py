"""Members' rights (R-RIGHT-3/4) and the ledger of what was provided about them (R-USE-2)."""
