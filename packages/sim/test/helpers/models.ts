// Schema validation of simulator objects with kubernetes-models (which throws on violations).

export function validate(Model: new (data?: never) => { validate(): void }, data: unknown): void {
  new Model(data as never).validate();
}
