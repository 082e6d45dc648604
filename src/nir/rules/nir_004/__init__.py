"""Rules of IMDi's NIR practice (004: the webinar on registration practice and reports) that no act states."""
