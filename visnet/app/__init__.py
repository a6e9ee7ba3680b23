"""Everything Qt and pyqtgraph."""
