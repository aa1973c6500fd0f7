from do_sandbox.cli import main

main()
