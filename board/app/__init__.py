"""One wall put together: the config file and the runtime that starts and stops its parts."""
