function main() {
  console.log("unclosed";
}
