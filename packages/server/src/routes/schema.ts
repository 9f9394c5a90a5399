/** The body fields every embedding route takes, with the route's own fields added. */
export function embedBodySchema(fields: Record<string, object>) {
  return {
    body: {
      type: 'object',
      required: ['input'],
      properties: {
        input: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        model: { type: 'string' },
        dimensions: { type: 'integer', minimum: 1 },
        input_type: { type: 'string', enum: ['query', 'document'] },
        ...fields,
      },
    },
  };
}
