"""Rules under integreringsforskriften (FOR-2020-11-20-2442), one module per section (``if_NN_topic``)."""
