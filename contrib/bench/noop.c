/* The floor of start, delete and state: a static program that does nothing,
 * so its time is what the kernel charges any command to start (fork, exec,
 * exit, wait) with no dynamic loader and no work of its own. */
int
main (void)
{
  return 0;
}
