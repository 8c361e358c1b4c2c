/* A shared object that is not a pail plugin: no pail_backend_entry. */
int pail_backend_entry_misspelled(void);

int pail_backend_entry_misspelled(void) {
  return 42;
}
