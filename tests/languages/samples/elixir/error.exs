defmodule Broken do
  def main do
    IO.puts("missing end")
