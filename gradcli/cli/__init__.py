"""The command line: thin typer commands that call one library function and render the result."""
