int support_dummy;
