// Placeholder until the main window lands.
int runGui(int, char **)
{
    return 0;
}
