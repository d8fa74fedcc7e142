"""The canonical model: entries, exact money and UTC instants. Depends on nothing else in ledgerport."""
