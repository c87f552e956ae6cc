"""Members: signup, approval, profile and consents."""
