// free() must be defined by name for the embedded stdlib; Swift reserves the symbol, so this one
// line of C forwards it to the Swift heap (Heap.swift).
void rumpk_heap_free(void *p);
void free(void *p) { rumpk_heap_free(p); }
