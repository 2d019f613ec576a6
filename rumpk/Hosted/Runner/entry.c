// Hosted cell executables start here.
int rumpk_hosted_main(void);
int main(void) { return rumpk_hosted_main(); }
